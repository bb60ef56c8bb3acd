"""Multiple-choice questions: which option the retrieved passages support, as judged by a local model.

The model reads the sentences of the passages that best match the question and its options, and
its probability for each option letter is read from one forward pass per order of the options;
nothing is generated, so the pick is always one of the options.
"""

from __future__ import annotations

from collections.abc import Sequence

from rag.backends.base import ChoiceScorer
from rag.extractive import compact_context, rank_sentences
from rag.prompts import CHOOSE, OPTION_LETTERS, format_options, format_passages
from rag.types import Passage

# What the model reads: the best sentences for question and options, within about 300 tokens.
CONTEXT_SENTENCES = 6
CONTEXT_CHARS = 1300


def choose_option(
    scorer: ChoiceScorer,
    question: str,
    options: Sequence[str],
    passages: Sequence[Passage],
    *,
    cycle_orders: bool = True,
) -> tuple[int, list[float]] | None:
    """The index of the option the passages best support and every option's probability, or None.

    None when there are no options or no passages (nothing to judge by). Options beyond the
    eighth are not offered to the model. With `cycle_orders`, the model is asked once per option
    order (A-D, then B-D + A, ...) and the shares are averaged over the orders.
    """
    options = list(options)[: len(OPTION_LETTERS)]
    if not options or not passages:
        return None
    # Sentences that mention the options are what tells them apart.
    # Single sentences, as measured on realtimeqa-dev (benchmarks/results/evals-history.md): joining sentences that point
    # back changes 146 of its 209 prompts and has not been measured there.
    evidence = rank_sentences(" ".join([question, *options]), passages, join_back=False)
    rows = compact_context(evidence, sentences=CONTEXT_SENTENCES, max_chars=CONTEXT_CHARS)
    if not rows:
        return None
    n = len(options)
    letters = list(OPTION_LETTERS[:n])
    context = format_passages(rows)
    shares = [0.0] * n
    orders = 0
    # A small model favours some letters whatever they stand for. Each option is offered under every
    # letter once (cyclic shifts; the passages and question stay a cached prefix, so a shift costs
    # only the option lines) and its shares are averaged.
    for shift in range(n if cycle_orders else 1):
        order = [(shift + j) % n for j in range(n)]  # the option shown under letter j
        messages = CHOOSE.render(passages=context, question=question, options=format_options([options[i] for i in order]))
        probabilities = scorer.choice_probabilities(messages, letters)
        values = [probabilities.get(letter, 0.0) for letter in letters]
        total = sum(values)
        if total <= 0:
            continue
        orders += 1
        for j, i in enumerate(order):
            shares[i] += values[j] / total
    if not orders:
        return None
    shares = [v / orders for v in shares]
    return max(range(n), key=lambda i: shares[i]), shares


__all__ = ["choose_option"]
