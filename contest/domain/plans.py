"""Checking plans as organisers write them (forms, TOML files): every problem named by field, in both languages.

A plan arrives as plain data (a dict read from a form or a file). ``check_prize_plan``,
``check_collective_plan`` and ``check_screening`` turn it into the domain's dataclasses and a
canonical spec (the same data, cleaned) that is stored and exported, so a plan written out
and read back is the same plan. Every problem is reported at once (``InvalidInput``), each
with a field path such as ``tiers.2.quota`` that a form or a file can point at.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from contest.domain.collectives import CollectiveCriterion, CollectivePlan, SizeBand
from contest.domain.errors import ContestError, InvalidInput
from contest.domain.prizes import OnePrizeScope, PlanScope, PrizePlan, PrizeTier, TieRule
from contest.domain.ranking import DEFAULT_ORDER, TieBreak

ONE_PRIZE_SCOPES = tuple(s.value for s in OnePrizeScope)
_CODE = re.compile(r"[a-z0-9][a-z0-9_\-]{0,31}")

CRITERION_WORDS: dict[str, tuple[str, str]] = {
    "participants": ("Số người dự thi hợp lệ", "Eligible participants"),
    "participation_rate": (
        "Tỷ lệ tham gia so với số cán bộ",
        "Participation rate against headcount",
    ),
    "mean_score": ("Điểm trung bình", "Mean score"),
    "points": ("Điểm thi đua (giải và tỷ lệ tham gia)", "Points (prizes and participation)"),
}


@dataclass(frozen=True)
class ScreeningThresholds:
    """``min_seconds_per_question`` None: no speed flag."""

    min_seconds_per_question: float | None = 1.0
    require_all_answered: bool = True


class _Problems:
    def __init__(self) -> None:
        self.errors: list[ContestError] = []

    def add(self, field: str, vi: str, en: str) -> None:
        self.errors.append(ContestError(vi, en, field=field))

    def raise_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


PRIZE_KEYS = frozenset(
    {
        "tiers",
        "order",
        "tie_rule",
        "cap_percent",
        "carry_over_vacancies",
        "one_prize_per_person",
        "one_prize_scope",
        "groups",
        "scope",
    }
)
COLLECTIVE_KEYS = frozenset(
    {
        "criterion",
        "keys",
        "pools",
        "roll_up",
        "min_participants",
        "tie_rule",
        "tiers",
        "unit_pools",
        "size_bands",
        "prize_points",
        "points_per_participation_percent",
    }
)
SCREENING_KEYS = frozenset({"min_seconds_per_question", "require_all_answered"})
TIER_KEYS = frozenset(
    {"code", "label_vi", "label_en", "rank_order", "quota", "min_score", "group_quotas"}
)
BAND_KEYS = frozenset({"max_headcount", "min_rate"})


def _unknown(p: _Problems, raw: Mapping, allowed: frozenset[str], where: str) -> None:
    """A misspelt key would otherwise be ignored without a word."""
    for key in raw:
        if key not in allowed:
            field = f"{where}.{key}" if where else str(key)
            p.add(
                field,
                f"Mục '{key}' không có trong mẫu; các mục: {', '.join(sorted(allowed))}.",
                f"'{key}' is not a known setting; known: {', '.join(sorted(allowed))}.",
            )


def _text(value: object) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value)).strip()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(
    p: _Problems,
    value: object,
    field: str,
    label: tuple[str, str],
    *,
    whole: bool = False,
    low: float = 0,
    high: float = math.inf,
) -> float | int | None:
    """A number typed by a person (a decimal comma allowed) or read from a file; None if blank."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        number: float | None = None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "."))
        except ValueError:
            number = None
    if number is not None and (math.isnan(number) or (whole and not number.is_integer())):
        number = None
    if number is None or not low <= number <= high:
        kind_vi, kind_en = ("số nguyên", "a whole number") if whole else ("số", "a number")
        upper_vi = "" if high == math.inf else f" đến {high:g}"
        upper_en = "" if high == math.inf else f" to {high:g}"
        p.add(
            field,
            f"{label[0]}: cần {kind_vi} từ {low:g}{upper_vi} (đang là '{value}').",
            f"{label[1]}: {kind_en} from {low:g}{upper_en} is needed (got '{value}').",
        )
        return None
    return int(number) if whole else number


def _flag(p: _Problems, value: object, field: str, label: tuple[str, str], default: bool) -> bool:
    if _blank(value):
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "on", "có", "co"):
        return True
    if text in ("no", "false", "0", "off", "không", "khong"):
        return False
    p.add(field, f"{label[0]}: cần có hoặc không.", f"{label[1]}: yes or no is needed.")
    return default


def _choice(
    p: _Problems, value: object, field: str, label: tuple[str, str], allowed: Collection[str]
) -> str | None:
    text = _text(value)
    if text not in allowed:
        p.add(
            field,
            f"{label[0]}: '{text}' không hợp lệ; chọn một trong: {', '.join(allowed)}.",
            f"{label[1]}: '{text}' is not valid; choose one of: {', '.join(allowed)}.",
        )
        return None
    return text


def _names(value: object) -> list[str]:
    """A list from a file, or a comma/line separated text from a form."""
    if _blank(value):
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[,;\n]", str(value))
    return [_text(v) for v in items if _text(v)]


def _quota_map(
    p: _Problems, value: object, field: str, label: tuple[str, str]
) -> dict[str, int] | None:
    """Group quotas as a table from a file or 'officials=2, students=1' from a form."""
    if _blank(value):
        return {}
    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        pairs = []
        for part in re.split(r"[,;\n]", str(value)):
            if not part.strip():
                continue
            name, sep, number = part.partition("=")
            if not sep:
                name, sep, number = part.partition(":")
            if not sep:
                p.add(
                    field,
                    f"{label[0]}: '{part.strip()}' cần có dạng nhóm=số.",
                    f"{label[1]}: '{part.strip()}' must read group=number.",
                )
                return None
            pairs.append((name, number))
    out: dict[str, int] = {}
    for name, number in pairs:
        key = _text(name)
        quota = _number(
            p, number, field, (f"{label[0]} ({key})", f"{label[1]} ({key})"), whole=True
        )
        if not key:
            p.add(field, f"{label[0]}: thiếu tên nhóm.", f"{label[1]}: a group name is missing.")
        elif key in out:
            p.add(field, f"{label[0]}: nhóm '{key}' bị lặp.", f"{label[1]}: group '{key}' repeats.")
        elif quota is not None:
            out[key] = int(quota)
    return out


def _tiers(
    p: _Problems, raw_tiers: object, groups: list[str] | None, group_word: tuple[str, str]
) -> list[dict]:
    """Tiers in rank order (the order given); blank rows of a form are skipped."""
    if not isinstance(raw_tiers, list | tuple):
        p.add("tiers", "Cần danh sách các giải.", "A list of prize tiers is needed.")
        return []
    out: list[dict] = []
    seen: dict[str, int] = {}
    if all(isinstance(t, Mapping) and isinstance(t.get("rank_order"), int) for t in raw_tiers):
        # A stored plan names each tier's place; a form or a file lists them best first.
        raw_tiers = sorted(raw_tiers, key=lambda t: t["rank_order"])
    for raw in raw_tiers:
        if not isinstance(raw, Mapping):
            p.add("tiers", "Mỗi giải phải là một bảng.", "Each tier must be a table.")
            continue
        if all(_blank(v) or v == {} for v in raw.values()):
            continue
        n = len(out) + 1
        field = f"tiers.{n}"
        _unknown(p, raw, TIER_KEYS, field)
        word = (f"Giải thứ {n}", f"Tier {n}")
        code = _text(raw.get("code")).lower()
        label_vi = _text(raw.get("label_vi"))
        label_en = _text(raw.get("label_en")) or label_vi
        if not _CODE.fullmatch(code):
            p.add(
                f"{field}.code",
                f"{word[0]}: mã giải '{code}' cần 1–32 chữ thường, số, '-' hoặc '_'.",
                f"{word[1]}: the code '{code}' needs 1–32 lower-case letters, digits, '-' or '_'.",
            )
        elif code in seen:
            p.add(
                f"{field}.code",
                f"{word[0]}: mã giải '{code}' trùng với giải thứ {seen[code]}.",
                f"{word[1]}: the code '{code}' repeats tier {seen[code]}.",
            )
        else:
            seen[code] = n
        if code == "undecided":
            p.add(
                f"{field}.code",
                f"{word[0]}: mã 'undecided' dành cho dòng chờ quyết định.",
                f"{word[1]}: the code 'undecided' is kept for lines awaiting a decision.",
            )
        if not label_vi:
            p.add(
                f"{field}.label_vi",
                f"{word[0]}: cần tên giải (tiếng Việt).",
                f"{word[1]}: the label (Vietnamese) is needed.",
            )
        quota = _number(
            p,
            raw.get("quota"),
            f"{field}.quota",
            (f"{word[0]}, số lượng", f"{word[1]}, quota"),
            whole=True,
        )
        min_score = _number(
            p,
            raw.get("min_score"),
            f"{field}.min_score",
            (f"{word[0]}, điểm tối thiểu", f"{word[1]}, minimum score"),
        )
        group_quotas = _quota_map(
            p,
            raw.get("group_quotas"),
            f"{field}.group_quotas",
            (f"{word[0]}, số lượng theo {group_word[0]}", f"{word[1]}, quota by {group_word[1]}"),
        )
        if groups is not None and group_quotas is not None:
            for name in group_quotas:
                if name not in groups:
                    p.add(
                        f"{field}.group_quotas",
                        f"{word[0]}: {group_word[0]} '{name}' không có trong danh sách ({', '.join(groups) or 'trống'}).",
                        f"{word[1]}: {group_word[1]} '{name}' is not in the list ({', '.join(groups) or 'empty'}).",
                    )
        elif groups is None and group_quotas:
            p.add(
                f"{field}.group_quotas",
                f"{word[0]}: có số lượng theo {group_word[0]} nhưng cơ cấu chưa khai báo {group_word[0]}.",
                f"{word[1]}: quotas by {group_word[1]} are given but the plan declares no {group_word[1]}.",
            )
        tier = {
            "code": code,
            "label_vi": label_vi,
            "label_en": label_en,
            "rank_order": n,
            "quota": int(quota or 0),
        }
        if min_score is not None:
            tier["min_score"] = min_score
        if group_quotas:
            tier["group_quotas"] = group_quotas
        out.append(tier)
    if not out:
        p.add("tiers", "Cơ cấu giải cần ít nhất một giải.", "A plan needs at least one tier.")
    return out


def _tier_objects(tiers: list[dict]) -> tuple[PrizeTier, ...]:
    return tuple(
        PrizeTier(
            code=t["code"],
            label_vi=t["label_vi"],
            label_en=t["label_en"],
            rank_order=t["rank_order"],
            quota=t["quota"],
            min_score=t.get("min_score"),
            group_quotas=dict(t.get("group_quotas") or {}),
        )
        for t in tiers
    )


def check_prize_plan(raw: Mapping) -> tuple[PrizePlan, dict]:
    """An individual prize plan (cơ cấu giải cá nhân) and its canonical spec."""
    p = _Problems()
    _unknown(p, raw, PRIZE_KEYS, "")
    groups_list = _names(raw.get("groups"))
    if len(set(groups_list)) != len(groups_list):
        p.add("groups", "Nhóm đối tượng bị lặp.", "A participant group repeats.")
    groups = groups_list or None
    tiers = _tiers(p, raw.get("tiers"), groups, ("nhóm đối tượng", "participant group"))
    order_raw = _names(raw.get("order")) or [k.value for k in DEFAULT_ORDER]
    order: list[str] = []
    for key in order_raw:
        if key not in {k.value for k in TieBreak}:
            p.add(
                "order",
                f"Tiêu chí xếp hạng '{key}' không có; dùng: {', '.join(k.value for k in TieBreak)}.",
                f"Unknown ranking key '{key}'; use: {', '.join(k.value for k in TieBreak)}.",
            )
        elif key in order:
            p.add("order", f"Tiêu chí '{key}' bị lặp.", f"Ranking key '{key}' repeats.")
        else:
            order.append(key)
    if order and order[0] != TieBreak.CORRECT.value:
        p.add(
            "order",
            "Tiêu chí đầu tiên phải là số câu trả lời đúng (correct).",
            "The first ranking key must be the number correct (correct).",
        )
    tie_rule = _choice(
        p,
        raw.get("tie_rule") or "share",
        "tie_rule",
        ("Khi đồng hạng", "Tie rule"),
        [r.value for r in TieRule],
    )
    cap = _number(
        p,
        raw.get("cap_percent"),
        "cap_percent",
        ("Tỷ lệ giải tối đa (%)", "Prize cap (%)"),
        high=100,
    )
    carry = _flag(
        p,
        raw.get("carry_over_vacancies"),
        "carry_over_vacancies",
        ("Chuyển giải còn trống", "Carry over vacancies"),
        False,
    )
    one = _flag(
        p,
        raw.get("one_prize_per_person"),
        "one_prize_per_person",
        ("Mỗi người một giải", "One prize per person"),
        True,
    )
    one_scope = _choice(
        p,
        raw.get("one_prize_scope") or "contest",
        "one_prize_scope",
        ("Phạm vi mỗi người một giải", "One-prize scope"),
        ONE_PRIZE_SCOPES,
    )
    scope = _choice(
        p,
        raw.get("scope") or "round",
        "scope",
        ("Phạm vi cơ cấu", "Plan scope"),
        [s.value for s in PlanScope],
    )
    if groups is not None:
        for t in tiers:
            if t["quota"] and not t.get("group_quotas"):
                p.add(
                    f"tiers.{t['rank_order']}.group_quotas",
                    f"Giải thứ {t['rank_order']}: khi chia theo nhóm đối tượng, số lượng ghi theo từng nhóm.",
                    f"Tier {t['rank_order']}: when the plan is split by group, give the quota per group.",
                )
    p.raise_any()
    spec: dict = {
        "tiers": tiers,
        "order": order,
        "tie_rule": tie_rule,
        "carry_over_vacancies": carry,
        "one_prize_per_person": one,
        "one_prize_scope": one_scope,
        "scope": scope,
    }
    if cap is not None:
        spec["cap_percent"] = cap
    if groups:
        spec["groups"] = groups
    plan = PrizePlan(
        tiers=_tier_objects(tiers),
        order=tuple(TieBreak(k) for k in order),
        tie_rule=TieRule(str(tie_rule)),
        cap_percent=cap,
        carry_over_vacancies=carry,
        one_prize_per_person=one,
        one_prize_scope=OnePrizeScope(str(one_scope)),
        groups=tuple(groups) if groups else None,
        scope=PlanScope(str(scope)),
    )
    return plan, spec


def check_collective_plan(raw: Mapping, unit_codes: Collection[str]) -> tuple[CollectivePlan, dict]:
    """A collective prize plan (cơ cấu giải tập thể) over the contest's units, and its spec.

    ``unit_pools`` maps unit codes of the contest's tree to a pool; ``keys`` are the second
    and third ranking criteria used when the first ties."""
    p = _Problems()
    _unknown(p, raw, COLLECTIVE_KEYS, "")
    criteria = [c.value for c in CollectiveCriterion]
    criterion = _choice(
        p, raw.get("criterion"), "criterion", ("Tiêu chí xếp hạng", "Criterion"), criteria
    )
    keys: list[str] = []
    for n, key in enumerate(_names(raw.get("keys")), start=2):
        if key not in criteria:
            p.add(
                "keys",
                f"Tiêu chí thứ {n} '{key}' không có; dùng: {', '.join(criteria)}.",
                f"Criterion {n} '{key}' is unknown; use: {', '.join(criteria)}.",
            )
        elif key == criterion or key in keys:
            p.add("keys", f"Tiêu chí '{key}' bị lặp.", f"Criterion '{key}' repeats.")
        else:
            keys.append(key)
    if len(keys) > 2:
        p.add("keys", "Tối đa hai tiêu chí phụ.", "At most two further criteria.")
    pools = _names(raw.get("pools"))
    if not pools:
        p.add("pools", "Cần ít nhất một khối đơn vị.", "At least one pool of units is needed.")
    if len(set(pools)) != len(pools):
        p.add("pools", "Tên khối bị lặp.", "A pool name repeats.")
    for name in pools:
        if not _CODE.fullmatch(name):
            p.add(
                "pools",
                f"Tên khối '{name}' cần chữ thường, số, '-' hoặc '_'.",
                f"Pool name '{name}' needs lower-case letters, digits, '-' or '_'.",
            )
    tiers = _tiers(p, raw.get("tiers"), pools, ("khối", "pool"))
    for t in tiers:
        t["quota"] = 0  # a collective tier is always split by pool
    unit_pools: dict[str, str] = {}
    raw_pools = raw.get("unit_pools") or {}
    if not isinstance(raw_pools, Mapping):
        p.add("unit_pools", "Cần bảng mã đơn vị = khối.", "A table of unit code = pool is needed.")
        raw_pools = {}
    known = set(unit_codes)
    for code, pool in raw_pools.items():
        code, pool = _text(code), _text(pool)
        if not pool:
            continue
        if code not in known:
            p.add(
                f"unit_pools.{code}",
                f"Đơn vị mã '{code}' không có trong cây đơn vị của cuộc thi.",
                f"Unit code '{code}' is not in the contest's unit tree.",
            )
        elif pool not in pools:
            p.add(
                f"unit_pools.{code}",
                f"Đơn vị '{code}': khối '{pool}' không có trong danh sách khối.",
                f"Unit '{code}': pool '{pool}' is not one of the pools.",
            )
        else:
            unit_pools[code] = pool
    if pools and not unit_pools and not p.errors:
        p.add(
            "unit_pools",
            "Chưa có đơn vị nào thuộc một khối: hãy chọn khối cho các đơn vị dự xét.",
            "No unit belongs to a pool yet: choose a pool for the units that compete.",
        )
    bands: list[dict] = []
    raw_bands = raw.get("size_bands") or []
    if not isinstance(raw_bands, list | tuple):
        p.add("size_bands", "Cần danh sách các mức quy mô.", "A list of size bands is needed.")
        raw_bands = []
    for band in raw_bands:
        if not isinstance(band, Mapping) or all(_blank(v) for v in band.values()):
            continue
        n = len(bands) + 1
        _unknown(p, band, BAND_KEYS, f"size_bands.{n}")
        word = (f"Mức quy mô {n}", f"Size band {n}")
        upto = _number(
            p,
            band.get("max_headcount"),
            f"size_bands.{n}.max_headcount",
            (f"{word[0]}, số người tối đa", f"{word[1]}, largest headcount"),
            whole=True,
            low=1,
        )
        rate = _number(
            p,
            band.get("min_rate"),
            f"size_bands.{n}.min_rate",
            (f"{word[0]}, tỷ lệ tối thiểu (0–1)", f"{word[1]}, minimum rate (0–1)"),
            high=1,
        )
        if rate is None and _blank(band.get("min_rate")):
            p.add(
                f"size_bands.{n}.min_rate",
                f"{word[0]}: cần tỷ lệ tối thiểu.",
                f"{word[1]}: the minimum rate is needed.",
            )
        entry: dict = {"min_rate": rate if rate is not None else 0.0}
        if upto is not None:
            entry["max_headcount"] = int(upto)
        bands.append(entry)
    limits = [b.get("max_headcount") for b in bands]
    if limits.count(None) > 1:
        p.add(
            "size_bands",
            "Chỉ một mức quy mô được để trống số người tối đa.",
            "Only one size band may leave the largest headcount open.",
        )
    numbers = [x for x in limits if x is not None]
    if len(set(numbers)) != len(numbers):
        p.add(
            "size_bands",
            "Hai mức quy mô có cùng số người tối đa.",
            "Two size bands share a largest headcount.",
        )
    prize_points = (
        _quota_map(
            p, raw.get("prize_points"), "prize_points", ("Điểm theo giải", "Points per prize")
        )
        or {}
    )
    per_percent = (
        _number(
            p,
            raw.get("points_per_participation_percent"),
            "points_per_participation_percent",
            ("Điểm cho mỗi % tham gia", "Points per participation percent"),
        )
        or 0.0
    )
    min_participants = _number(
        p,
        raw.get("min_participants"),
        "min_participants",
        ("Số người dự thi tối thiểu", "Minimum participants"),
        whole=True,
        low=1,
    )
    roll_up = _flag(
        p, raw.get("roll_up"), "roll_up", ("Tính cả đơn vị cấp dưới", "Count sub-units"), False
    )
    tie_rule = _choice(
        p,
        raw.get("tie_rule") or "committee",
        "tie_rule",
        ("Khi đồng hạng", "Tie rule"),
        [r.value for r in TieRule],
    )
    if criterion == CollectiveCriterion.POINTS.value and not prize_points and not per_percent:
        p.add(
            "prize_points",
            "Tiêu chí điểm thi đua cần điểm theo giải hoặc theo % tham gia.",
            "The points criterion needs points per prize or per participation percent.",
        )
    p.raise_any()
    spec: dict = {
        "criterion": criterion,
        "keys": keys,
        "pools": pools,
        "roll_up": roll_up,
        "min_participants": int(min_participants or 1),
        "tie_rule": tie_rule,
        "tiers": tiers,
        "unit_pools": unit_pools,
        "size_bands": bands,
    }
    if prize_points:
        spec["prize_points"] = prize_points
    if per_percent:
        spec["points_per_participation_percent"] = per_percent
    plan = CollectivePlan(
        criterion=CollectiveCriterion(str(criterion)),
        tiers=_tier_objects(tiers),
        pools=tuple(pools),
        roll_up=roll_up,
        size_bands=tuple(SizeBand(b.get("max_headcount"), b["min_rate"]) for b in bands),
        prize_points={k: float(v) for k, v in prize_points.items()},
        points_per_participation_percent=float(per_percent),
        min_participants=int(min_participants or 1),
        tie_rule=TieRule(str(tie_rule)),
        keys=tuple(CollectiveCriterion(k) for k in keys),
    )
    return plan, spec


def check_screening(raw: Mapping) -> tuple[ScreeningThresholds, dict]:
    """Screening thresholds; a blank or zero speed threshold turns the speed flag off."""
    p = _Problems()
    _unknown(p, raw, SCREENING_KEYS, "")
    seconds = _number(
        p,
        raw.get("min_seconds_per_question"),
        "min_seconds_per_question",
        ("Số giây tối thiểu mỗi câu", "Minimum seconds per question"),
        high=600,
    )
    require = _flag(
        p,
        raw.get("require_all_answered"),
        "require_all_answered",
        ("Phải trả lời mọi câu", "Every question answered"),
        True,
    )
    p.raise_any()
    thresholds = ScreeningThresholds(seconds or None, require)
    spec = {
        "min_seconds_per_question": thresholds.min_seconds_per_question or 0,
        "require_all_answered": require,
    }
    return thresholds, spec
