"""
Chinese text search: jieba segmentation at index time and query time, then
PostgreSQL full-text search with the `simple` configuration on a GIN index.
Trigrams cannot serve 2-character words such as 直播 (SETUP-NOTES.md).
"""

from __future__ import annotations

import logging
import re
from functools import cache, reduce
from operator import and_

from django.contrib.postgres.search import SearchQuery

_WORD_RE = re.compile(r"\w", re.UNICODE)


@cache
def _jieba():
    # Loading the dictionary costs ~0.6 s: once per process, on first use.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def segment(text: str) -> str:
    """Return `text` as lower-case, space-joined search tokens (index form)."""
    tokens = (t.strip().lower() for t in _jieba().cut_for_search(text or ""))
    return " ".join(t for t in tokens if t and _WORD_RE.search(t))


def search_query(text: str) -> SearchQuery | None:
    """
    Return a query matching posts that contain every word of `text`, or None
    when `text` has no word in it. The query is cut in jieba's precise mode
    (家政服务员 → 家政, 服务员); the index holds the finer search-mode pieces
    as well, so each query piece is found.
    """
    pieces = [
        t.strip().lower()
        for t in _jieba().cut((text or "")[:100])
        if t.strip() and _WORD_RE.search(t)
    ][:12]
    if not pieces:
        return None
    return reduce(and_, (SearchQuery(p, config="simple", search_type="plain") for p in pieces))
