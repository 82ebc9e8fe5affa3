"""Answer retrieval over the built index: filters, dense + keyword fusion, abstention.

The retriever refuses an index built from other texts than the ones on disk
(their content hash differs) and reloads a rebuilt index on the next query,
so the action server needs no restart after `make knowledge`. It looks at the
files at most once every `RECHECK_SECONDS`: a turn asks for the index several
times, and each look stats every text.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.build import INDEX_FORMAT, read_manifest, texts_hash
from knowledge.catalog import GENERAL, GENERAL_TOPICS
from knowledge.clauses import first_clause
from knowledge.cues import Cues, cues_of, section_cues
from knowledge.documents import text_files
from knowledge.languages import REFERENCE
from knowledge.languages import language as text_language
from knowledge.languages import texts_dir as language_texts_dir
from knowledge.names import ProcedureMatcher

log = logging.getLogger(__name__)

# A question's matrix products (a few thousand vectors of 384 numbers) take a
# fraction of a millisecond on one thread. With the BLAS and OpenMP default of
# a thread per core, the idle threads spin after every product, using more
# CPU than the question itself, taken from Rasa and the gateway on the same
# cores (docs/BENCHMARKS.md, "Measurements behind design choices").
SEARCH_THREADS = 1

# A message that asks several things: how much its first clause counts in the
# dense and topic scores (the rest is the whole message). Chosen on the tuning
# half of knowledge/eval/questions.yml.
FIRST_CLAUSE_WEIGHT = 0.5

# How stale the retriever's view of the files may be: an edited text or a rebuilt
# index is noticed within this time. Looking costs a stat of every text, and a
# turn used to look three or four times (docs/BENCHMARKS.md, "Measurements
# behind design choices").
RECHECK_SECONDS = 1.0

# multilingual-e5's cosines sit in a narrow band: nearly unrelated texts score about 0.75. Its similarities are
# stretched from this floor to 1 onto MiniLM's range, so one set of fusion weights serves both encoders.
E5_SIMILARITY_FLOOR = 0.72


@dataclass(frozen=True)
class Fusion:
    """How dense and keyword scores combine, and when to abstain.

    score = dense_weight * cosine + (1 - dense_weight) * bm25 / (bm25 + keyword_saturation)
            + topic_weight * (similarity to the example questions of the chunk's topic)
            + question_weight * (similarity to the nearest patient question the section answers, from the text's
               `questions:`; 0 for a section without any)
            (+ general_boost for general pages when the question names no procedure)
            (+ procedure_boost for the sections of the procedures filtered on, so that "do I need a
               pregnancy test before it?" stays with the procedure's preparation rather than the
               general pregnancy page, which the filter also lets through)
            (+ cue_weight for the sections the question's phrasing asks for, knowledge/cues.py: "what is
               ..." the definition, "is that normal?" aftercare, a blood thinner before a procedure the
               blood-thinners page, a contrast reaction the contrast page, and "my procedure" with no
               procedure named the general pages).
    The defaults are tuned on the tuning sets (`TUNING` in tooling/evaluate.py) by `make eval`,
    which reports them with the results (docs/EVALUATION.md).
    """

    dense_weight: float = 0.3
    keyword_saturation: float = 8.0
    topic_weight: float = 0.6
    general_boost: float = 0.0
    procedure_boost: float = 0.04
    question_weight: float = 0.1
    cue_weight: float = 0.2
    abstain_below: float = 0.56

    def abstains(self, hits: list) -> bool:
        """Whether a ranking (best first) is too weak to answer from."""
        return not hits or hits[0].score < self.abstain_below


DEFAULT_FUSION = Fusion()


class IndexUnavailable(RuntimeError):
    """No usable index: missing, or built from different texts."""


@dataclass(frozen=True)
class Hit:
    chunk: dict
    score: float
    dense: float
    keyword: float

    @property
    def procedure(self) -> str:
        return self.chunk["procedure"]

    @property
    def section(self) -> str:
        return self.chunk["section"]


@dataclass(frozen=True)
class RawScores:
    """One question against every chunk, before filters and fusion."""

    index: LoadedIndex  # the index these scores belong to
    dense: np.ndarray  # cosine similarity with the chunk
    keyword: np.ndarray  # BM25 score of the chunk
    topic: np.ndarray  # similarity with the example questions of the chunk's topic
    asked: np.ndarray  # similarity with the nearest question the chunk answers (its text's `questions:`)
    cues: Cues = Cues()  # what the question's phrasing says about the section it wants
    question: np.ndarray | None = None  # the question's own vector (knowledge/answer_first.py picks sentences with it)


@dataclass(frozen=True)
class Result:
    hits: list[Hit]
    abstained: bool

    @property
    def best(self) -> Hit | None:
        return None if self.abstained or not self.hits else self.hits[0]

    @property
    def top(self) -> Hit | None:
        """The first hit even below the abstention threshold (for when the dialogue already decided to answer)."""
        return self.hits[0] if self.hits else None


class LoadedIndex:
    def __init__(self, index_dir: Path, manifest: dict):
        import bm25s
        import faiss
        from threadpoolctl import threadpool_limits

        threadpool_limits(SEARCH_THREADS)  # numpy's BLAS and FAISS's OpenMP, for the whole process
        self.manifest = manifest
        self.dense = faiss.read_index(str(index_dir / "dense.faiss"))
        self.keyword = bm25s.BM25.load(str(index_dir / "bm25"))
        self.chunks: list[dict] = json.loads((index_dir / "chunks.json").read_text())
        self.by_key = {(c["procedure"], c["section"]): i for i, c in enumerate(self.chunks)}
        self.question_vectors = np.load(index_dir / "questions.npy")
        self.question_chunks = np.array(json.loads((index_dir / "questions.json").read_text()), dtype=np.int64)
        self.topic_vectors = np.load(index_dir / "topic_examples.npy")
        self.topic_labels = json.loads((index_dir / "topic_examples.json").read_text())
        self.chunk_topics = [c["section"] for c in self.chunks]
        self.chunk_sections = np.array(self.chunk_topics)
        self.chunk_procedures = np.array([c["procedure"] for c in self.chunks])
        # Another language's index also lists the procedures it has no text for (knowledge/build.py).
        others = index_dir / "others.json"
        self.others: list[dict] = json.loads(others.read_text()) if others.exists() else []
        self.language: str = manifest.get("language", REFERENCE)
        self.procedures_with_text = {c["procedure"] for c in self.chunks}
        self.matcher = ProcedureMatcher.from_entries(self.chunks + self.others)
        self.questions_by_chunk = Groups(self.question_chunks)
        topic_number = {topic: i for i, topic in enumerate(sorted(set(self.topic_labels)))}
        self.examples_by_topic = Groups(np.array([topic_number[label] for label in self.topic_labels], dtype=np.int64))
        self.chunk_topic_numbers = np.array([topic_number.get(t, -1) for t in self.chunk_topics], dtype=np.int64)


class Groups:
    """Rows grouped by a label number, for per-label maxima and top-n means in one vectorised pass.

    A turn used to take these with `np.maximum.at` and a Python loop over a few
    thousand example questions: about a millisecond, a tenth of the action's work.
    """

    def __init__(self, labels: np.ndarray):
        self.order = np.argsort(labels, kind="stable")
        ordered = labels[self.order]
        # Where each group begins in `ordered`, its label and its size.
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else ordered
        self.labels = ordered[self.starts]
        self.sizes = np.diff(np.r_[self.starts, len(ordered)])
        # Row numbers of each group, padded to the largest group's size with -1.
        columns = np.arange(int(self.sizes.max()) if len(self.sizes) else 0)
        within = np.minimum(self.starts[:, None] + columns, len(ordered) - 1)
        self.padded = np.where(columns < self.sizes[:, None], self.order[within], -1)

    def maxima(self, values: np.ndarray) -> np.ndarray:
        """The largest value of each group, in the order of `labels`."""
        return np.maximum.reduceat(values[self.order], self.starts)

    def top_means(self, values: np.ndarray, n: int) -> np.ndarray:
        """The mean of each group's `n` largest values (all of them in a smaller group), in float64."""
        grid = np.where(self.padded >= 0, values.astype(np.float64)[self.padded], -np.inf)
        top = -np.partition(-grid, n - 1, axis=1)[:, :n] if grid.shape[1] > n else grid
        return np.where(np.isfinite(top), top, 0.0).sum(axis=1) / np.minimum(self.sizes, n)


class Retriever:
    """Retrieval over one language's index; `texts_dir` is the English texts' folder, which holds the others'."""

    def __init__(self, texts_dir: Path, index_dir: Path, recheck_seconds: float = RECHECK_SECONDS, language: str = REFERENCE):
        self.texts_dir = Path(texts_dir)
        self.index_dir = Path(index_dir)
        self.language = language
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._loaded: LoadedIndex | None = None
        self._fingerprint: tuple | None = None
        self._checked_at = -float("inf")
        self._error: str | None = None

    def _current_fingerprint(self) -> tuple:
        """Cheap change detector: modification times of the manifest and of every text."""
        stamps = []
        own = language_texts_dir(self.texts_dir, self.language)
        reference = text_files(self.texts_dir) if self.language != REFERENCE else []
        for path in [self.index_dir / "manifest.json", *reference, *text_files(own)]:
            try:
                stamps.append((path.name, path.stat().st_mtime_ns))
            except FileNotFoundError:
                stamps.append((path.name, None))
        return tuple(stamps)

    def index(self) -> LoadedIndex:
        """The loaded index, reloaded if the files changed; raises IndexUnavailable."""
        with self._lock:
            if time.monotonic() - self._checked_at >= self.recheck_seconds:
                fingerprint = self._current_fingerprint()
                if fingerprint != self._fingerprint:
                    self._fingerprint = fingerprint
                    self._loaded, self._error = None, None
                    try:
                        self._loaded = self._load()
                        log.info("knowledge index loaded: %s chunks", len(self._loaded.chunks))
                    except IndexUnavailable as exc:
                        self._error = str(exc)
                        log.error("knowledge index refused: %s", exc)
                self._checked_at = time.monotonic()  # the window starts once a (re)load is done
            if self._loaded is None:
                raise IndexUnavailable(self._error or "no index")
            return self._loaded

    def _load(self) -> LoadedIndex:
        manifest = read_manifest(self.index_dir)
        if not manifest:
            raise IndexUnavailable(f"no index in {self.index_dir}; run 'make knowledge'")
        if manifest.get("format") != INDEX_FORMAT:
            raise IndexUnavailable("index format is outdated; run 'make knowledge'")
        if manifest.get("content_hash") != texts_hash(self.texts_dir, self.language):
            raise IndexUnavailable("index was built from other texts than the ones on disk; run 'make knowledge'")
        return LoadedIndex(self.index_dir, manifest)

    def lookup(self, procedure: str, section: str) -> dict | None:
        position = self.index().by_key.get((procedure, section))
        return None if position is None else self.index().chunks[position]

    def raw_scores(self, query: str, side_by_side: bool = True) -> RawScores:
        """Dense, keyword and topic scores of `query` against every chunk (`side_by_side`: see embedding.embed)."""
        from knowledge import embedding
        from knowledge.keywords import tokenize

        loaded = self.index()
        english = self.language == REFERENCE
        # The question and, for the topic score, the question with its procedure
        # names masked; for a message that asks several things, its first clause
        # the same two ways: all embedded in one call. (Clauses and cues read English phrasing.)
        texts = [query, loaded.matcher.mask(query)]
        first = first_clause(query) if english else None
        if first:
            texts += [first, loaded.matcher.mask(first)]
        unique = list(dict.fromkeys(texts))
        vectors = embedding.embed(unique, side_by_side, language=self.language)
        vector_of = {text: vectors[i] for i, text in enumerate(unique)}
        dense = self._dense_scores(loaded, vector_of[texts[0]])
        topic = self._topic_scores(loaded, vector_of[texts[1]])
        asked = self._asked_scores(loaded, vector_of[texts[0]])
        if first:
            blend = FIRST_CLAUSE_WEIGHT
            dense = (1 - blend) * dense + blend * self._dense_scores(loaded, vector_of[texts[2]])
            topic = (1 - blend) * topic + blend * self._topic_scores(loaded, vector_of[texts[3]])
            asked = (1 - blend) * asked + blend * self._asked_scores(loaded, vector_of[texts[2]])
        if text_language(self.language).encoder == "e5":
            dense, topic, asked = (self._stretched(values) for values in (dense, topic, asked))
        tokens = tokenize(query, self.language)
        keyword = loaded.keyword.get_scores(tokens) if tokens else np.zeros(len(loaded.chunks))
        cues = cues_of(query) if english else section_cues(query, self.language)
        return RawScores(loaded, dense, np.asarray(keyword, dtype=np.float32), topic, asked, cues, vector_of[texts[0]])

    @staticmethod
    def _stretched(similarity: np.ndarray) -> np.ndarray:
        """e5 similarities mapped from [E5_SIMILARITY_FLOOR, 1] onto [0, 1] (0 where a row had none)."""
        stretched = np.clip((similarity - E5_SIMILARITY_FLOOR) / (1 - E5_SIMILARITY_FLOOR), 0.0, 1.0)
        return np.where(similarity > 0, stretched, 0.0).astype(np.float32)

    @staticmethod
    def _dense_scores(loaded: LoadedIndex, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of `vector` with every chunk."""
        dense = np.zeros(len(loaded.chunks), dtype=np.float32)
        scores, ids = loaded.dense.search(vector[None, :], len(loaded.chunks))
        dense[ids[0][ids[0] >= 0]] = scores[0][ids[0] >= 0]
        return dense

    @staticmethod
    def _asked_scores(loaded: LoadedIndex, vector: np.ndarray) -> np.ndarray:
        """Per chunk: similarity with the nearest of the patient questions it answers (0 without any)."""
        asked = np.zeros(len(loaded.chunks), dtype=np.float32)
        if len(loaded.question_chunks):
            groups = loaded.questions_by_chunk
            asked[groups.labels] = groups.maxima(np.clip(loaded.question_vectors @ vector, 0.0, None))
        return asked

    @staticmethod
    def _topic_scores(loaded: LoadedIndex, vector: np.ndarray) -> np.ndarray:
        """Per chunk: mean similarity of the 3 nearest example questions of its topic."""
        if not len(loaded.topic_labels):
            return np.zeros(len(loaded.chunks), dtype=np.float32)
        best = np.append(loaded.examples_by_topic.top_means(loaded.topic_vectors @ vector, 3), 0.0)
        return best[loaded.chunk_topic_numbers].astype(np.float32)  # a topic without examples: 0

    def rank(
        self,
        raw: RawScores,
        procedures: list[str] | None = None,
        topic: str | None = None,
        k: int = 3,
        prefer_general: bool = False,
        fusion: Fusion = DEFAULT_FUSION,
        section_prior: dict[str, float] | None = None,
    ) -> Result:
        """Fuse precomputed scores over the chunks that pass the filters."""
        loaded = raw.index
        keep = np.ones(len(loaded.chunks), dtype=bool)
        if procedures:
            # Topics only the general pages have (contrast, blood thinners,
            # pregnancy, children) stay reachable whatever the procedure.
            keep &= np.isin(loaded.chunk_procedures, procedures) | np.isin(loaded.chunk_sections, GENERAL_TOPICS)
        if topic:
            keep &= loaded.chunk_sections == topic
        if not keep.any():
            return Result([], abstained=True)
        keyword = raw.keyword / (raw.keyword + fusion.keyword_saturation)
        score = (
            fusion.dense_weight * raw.dense
            + (1 - fusion.dense_weight) * keyword
            + fusion.topic_weight * raw.topic
            + fusion.question_weight * raw.asked
        )
        if prefer_general:
            score = score + fusion.general_boost * (loaded.chunk_procedures == GENERAL)
        if procedures:
            score = score + fusion.procedure_boost * np.isin(loaded.chunk_procedures, procedures)
        for section in raw.cues.sections:
            score = score + fusion.cue_weight * (loaded.chunk_sections == section)
        if prefer_general and raw.cues.any_procedure:
            score = score + fusion.cue_weight * (loaded.chunk_procedures == GENERAL)
        for section, bonus in (section_prior or {}).items():
            score = score + bonus * (loaded.chunk_sections == section)
        score = np.where(keep, score, -np.inf)
        order = np.argsort(-score, kind="stable")[: min(k, int(keep.sum()))]
        hits = [Hit(loaded.chunks[i], float(score[i]), float(raw.dense[i]), float(keyword[i])) for i in order]
        # A dose, a cost, a booking or the patient's own results: a person answers, however well a section matches.
        return Result(hits, abstained=fusion.abstains(hits) or raw.cues.hand_over is not None)

    def search(
        self, query: str, procedures: list[str] | None = None, topic: str | None = None, k: int = 3, prefer_general: bool = False
    ) -> Result:
        """Rank sections for `query`, restricted to `procedures` and `topic` when given."""
        return self.rank(self.raw_scores(query), procedures, topic, k, prefer_general)
