"""Fixtures for the integration tests beyond the shared ones: the outbox's real servers."""

from outbox_servers import sms_gateway, smtp_server  # noqa: F401 - fixtures
