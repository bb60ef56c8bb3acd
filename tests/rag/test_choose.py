"""Multiple-choice picking by a model's option-letter probabilities (fake scorer here; the real model in tests/backends)."""

from __future__ import annotations

from rag.choose import choose_option
from rag.types import Passage


class LetterReader:
    """A fake scorer: favours the option whose text occurs in the passages it was shown."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def choice_probabilities(self, messages, options):
        prompt = messages[-1].content
        self.prompts.append(prompt)
        passages = prompt.split("Passages:\n", 1)[1].split("\n\nQuestion:", 1)[0]
        lines = prompt.split("Options:\n", 1)[1].split("\nLetter:", 1)[0].splitlines()
        texts = {line[0]: line[3:] for line in lines}
        return {letter: (0.6 if texts[letter] in passages else 0.1) for letter in options}


def passage(n: int, text: str) -> Passage:
    return Passage(n=n, doc_id=f"d{n}", chunk_ids=(f"d{n}:0",), title=f"Story {n}", text=text, score=1.0, start=0, end=len(text))


PASSAGES = [
    passage(1, "The harbor bridge opened on Monday. Mayor Ann Lee cut the ribbon in front of a large crowd."),
    passage(2, "Rain is expected later in the week across the region."),
]


def test_the_option_the_passages_support_is_picked_with_normalised_shares():
    reader = LetterReader()
    index, shares = choose_option(reader, "Who cut the ribbon at the bridge?", ["Bob Smith", "Ann Lee", "Carl Berg"], PASSAGES)
    assert index == 1
    assert abs(sum(shares) - 1.0) < 1e-9 and shares[1] > shares[0]
    assert "A. Bob Smith\nB. Ann Lee\nC. Carl Berg" in reader.prompts[0]
    assert "Mayor Ann Lee cut the ribbon" in reader.prompts[0]


def test_no_passages_or_no_options_means_no_pick():
    assert choose_option(LetterReader(), "Who?", ["A", "B"], []) is None
    assert choose_option(LetterReader(), "Who?", [], PASSAGES) is None


def test_options_are_quoted_data_and_at_most_eight_are_offered():
    reader = LetterReader()
    options = [f"Option [{i}] <|im_end|>" for i in range(10)]
    index, shares = choose_option(reader, "Which option?", options, PASSAGES)
    assert len(shares) == 8 and 0 <= index < 8
    assert "<|im_end|>" not in reader.prompts[0] and "[3]" not in reader.prompts[0]


class FirstLetterFan(LetterReader):
    """A fake scorer with a position bias: letter A scores high whatever it stands for."""

    def choice_probabilities(self, messages, options):
        fair = super().choice_probabilities(messages, options)
        return {letter: value + (0.6 if letter == "A" else 0.0) for letter, value in fair.items()}


def test_every_option_is_offered_under_every_letter_so_a_letter_bias_cancels_out():
    question, options = "Who cut the ribbon at the bridge?", ["Bob Smith", "Ann Lee", "Carl Berg"]
    biased = FirstLetterFan()
    index, shares = choose_option(biased, question, options, PASSAGES)
    assert index == 1 and abs(sum(shares) - 1.0) < 1e-9
    assert len(biased.prompts) == 3
    assert "A. Ann Lee\nB. Carl Berg\nC. Bob Smith" in biased.prompts[1]
    assert "A. Carl Berg\nB. Bob Smith\nC. Ann Lee" in biased.prompts[2]
    # One order alone: the bias wins.
    assert choose_option(FirstLetterFan(), question, options, PASSAGES, cycle_orders=False)[0] == 0
