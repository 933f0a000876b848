"""contest: online quiz contests the way Vietnamese provinces run them."""

__version__ = "0.1.0"
