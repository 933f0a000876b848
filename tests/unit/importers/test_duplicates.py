import time

from contest.importers import (
    Location,
    OptionDraft,
    QuestionDraft,
    find_duplicates,
    fingerprint,
    near_duplicates,
)


def draft(stem: str, options=("Hà Nội", "Huế"), fmt="plain") -> QuestionDraft:
    return QuestionDraft(
        stem,
        tuple(OptionDraft(t, i == 0) for i, t in enumerate(options)),
        Location("f"),
        text_format=fmt,
    )


def test_fingerprint_ignores_spacing_punctuation_option_order_and_tags_but_keeps_diacritics():
    base = fingerprint(draft("Thủ đô của Việt Nam là gì?"))
    assert fingerprint(draft("Thủ đô  của Việt Nam là gì", options=("Huế", "Hà Nội"))) == base
    assert fingerprint(draft("<b>Thủ đô</b> của Việt Nam là gì?", fmt="html")) == base
    assert fingerprint(draft("Thu do cua Viet Nam la gi?")) != base
    assert (
        fingerprint(draft("Thủ đô của Việt Nam là gì?", options=("Hà Nội", "Huế", "Đà Nẵng")))
        != base
    )


def test_duplicates_inside_the_file_and_against_the_bank():
    drafts = [draft("Câu một?"), draft("Câu hai?"), draft("Câu một"), draft("Câu ba?")]
    found = find_duplicates(drafts, {fingerprint(draft("Câu ba?"))})
    assert [(d.index, d.first_index, d.in_bank) for d in found] == [(2, 0, False), (3, None, True)]
    assert found[0].as_issue().message_vi.endswith("câu hỏi trùng với câu thứ 1 trong tệp")


def test_near_duplicates_in_file_and_bank():
    drafts = [
        draft("Ứng dụng định danh điện tử quốc gia VNeID do Bộ Công an xây dựng, đúng không?"),
        draft("Ứng dụng định danh điện tử quốc gia VNeID do Bộ Công an xây dựng đúng không"),
        draft("Hoàn toàn khác hẳn"),
    ]
    bank = {42: "ỨNG DỤNG định danh điện tử quốc gia VNeID do Bộ Công an xây dựng, đúng chứ?"}
    found = near_duplicates(drafts, bank)
    pairs = {(n.index, n.other_index, n.bank_key) for n in found}
    assert (0, None, 42) in pairs and (1, 0, None) in pairs
    assert all(n.index != 2 for n in found)


def test_near_duplicates_stay_fast_for_ten_thousand_questions():
    from contest.exporters.xlsx import sample_bank

    drafts = sample_bank(10_000)
    started = time.process_time()  # CPU time: other work on a shared machine does not count
    near_duplicates(drafts, [q.stem for q in drafts[:2000]])
    assert time.process_time() - started < 10
