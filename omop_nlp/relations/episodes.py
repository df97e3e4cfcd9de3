"""DiagnosisEpisodeMapper: the changes a brain MRI report states for each malignant diagnosis.

Guideline section 3 rules 2-4: every stated change counts (mixed responses give several), a
differential shares its change, "new" lesions of known disease are progression, resolved
disease is improvement, and post-treatment change alone is no episode, also where the report
explains a change by it ("increased enhancement, likely radiation necrosis"), and then in every
sentence about the same lesion: growth under FINDINGS that the IMPRESSION calls pseudoprogression
is none, a new lesion elsewhere still is progression. A first examination states no change: words
that also describe one ("a new mass on CT", "a smaller similar lesion") are episodes only where
the report compares with a prior examination.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Callable
from functools import cache

from omop_nlp.entities.document import Document, Item, Sentence
from omop_nlp.model import Certainty
from omop_nlp.rules import ModalityRules
from omop_nlp.rules.sections import load_sections_rules
from omop_nlp.text.phrases import OpeningPhrases, PhraseMatcher
from omop_nlp.text.sections import IMPRESSION, states_findings
from omop_nlp.text.tokens import single_words, term_lemmas

IMPROVEMENT = "improvement"
PROGRESSION = "progression"
STABLE = "stable"
TREATMENT_EFFECT = "treatment_effect"
# cue roles of the lexicon (entities/lexicon.py) whose change is no episode of the tumor: a finding of another
# organ than the brain ("scalp lipoma, unchanged") is one too
_NON_TUMOR_SUBJECTS = ("non_episode_subject", TREATMENT_EFFECT, "organ")
# A change word under these is not stated ("no new lesion", "recurrence is not favored"); under
# "s/p GKS: NSC" (historical) it still is.
_NOT_STATED = (Certainty.NEGATED, Certainty.UNLIKELY, Certainty.HYPOTHETICAL)
_NAME_PLACE_WORDS = 3  # "at the left frontal recurrence": place words between the article and a lesion's name
# Two sentences that repeat this many words around a tumor word describe one lesion ("a new small
# focus of enhancement ..." and "the new small focus of enhancement most likely represents ...").
_SAME_DESCRIPTION = 3
# A change word this many words before a diagnosis can be part of its name ("recurrent left temporal GBM").
_NAMING_GAP = 3
# An attribution explains a diagnosis this many words after it where the lexicon names that diagnosis with
# them ("consistent with acute embolic infarcts": "acute infarct", "embolic infarct").
_MODIFIER_GAP = 2
_PRIOR, _NO_PRIOR, _NO_CHANGE = "prior examination", "no prior examination", "change explained away"
_PREOPERATIVE = "pre-operative prior examination"
Sites = dict[int, tuple[set[str], set[str]]]  # sentence index -> (place words, sides)


class DiagnosisEpisodeMapper:
    name = "rules"

    def __init__(self, rules: ModalityRules) -> None:
        self.rules = rules
        self._attributions = _lemma_set(rules.episode_attributions)
        self._attributions_after = _lemma_set(rules.episode_attributions_after)
        # the longest phrase after a subject, and the word after it that may deny it ("가능성 낮음")
        self._after_reach = max(map(len, self._attributions_after), default=0) + 1
        self._dismissals_after = _lemma_set(rules.episode_dismissals_after)
        self._dismissal_reach = max(map(len, self._dismissals_after), default=0)
        self._name_words = {key: {w for term in definition.all_terms() for w in term_lemmas(term) if w.isalpha()}
                            for key, definition in rules.entities.items()}
        grammar = rules.episode_grammar
        self._clause_breaks = single_words(grammar.clause_breaks, "episode_grammar.clause_breaks")
        self._denials = single_words(grammar.denials, "episode_grammar.denials")
        self._alternatives = single_words(grammar.alternatives, "episode_grammar.alternatives")
        self._articles = single_words(grammar.articles, "episode_grammar.articles")
        self._attachments = single_words(grammar.attachments, "episode_grammar.attachments")
        self._first_exam_changes = single_words(grammar.first_exam_changes, "episode_grammar.first_exam_changes")
        self._resection_changes = single_words(grammar.resection_changes, "episode_grammar.resection_changes")
        self._conditional_changes = self._first_exam_changes | self._resection_changes  # no comparison of their own
        self._remission_states = single_words(grammar.remission_states, "episode_grammar.remission_states")
        self._remission_improvements = {term_lemmas(t) for t in grammar.remission_improvements}
        self._lesion_names = single_words(grammar.lesion_names, "episode_grammar.lesion_names")
        self._place_links = single_words(grammar.place_links, "episode_grammar.place_links")
        self._earlier_words = {term_lemmas(t) for t in rules.measured_change.earlier}
        self._later_marks = set(rules.measured_change.later)
        self._units = {term_lemmas(unit)[0]: mm for unit, mm in rules.measured_change.units.items()}
        unit = "|".join(map(re.escape, rules.measured_change.units)) or "(?!)"
        self._two_sizes = re.compile(rf"\d\s*(?:{unit})\b.*?\d\s*(?:{unit})\b", re.IGNORECASE | re.DOTALL)
        # a sentence restating another reader's report tells the story too ("The outside report describes ...")
        self._history_leads = _opening_phrases(rules.history_leads, load_sections_rules().outside_openings())
        self._back_references = _opening_phrases(rules.episode_back_references)
        # the report-wide words, read in one pass: a prior examination stated, denied or pre-operative, changes
        # explained away
        prior = rules.prior_examination
        self._report_words = PhraseMatcher(
            [(t, _PRIOR) for terms in prior.stated.values() for t in terms] +
            [(t, _NO_PRIOR) for terms in prior.denied.values() for t in terms] +
            [(t, _PREOPERATIVE) for terms in prior.preoperative.values() for t in terms] +
            [(t, _NO_CHANGE) for terms in rules.change_explanations.values() for t in terms])
        sites = rules.lesion_sites
        self._sites = PhraseMatcher([(t, ("side", side)) for side, terms in sites.sides.items() for t in terms] +
                                    [(t, ("place", t)) for terms in sites.places.values() for t in terms] +
                                    [(t, ("place", "treated site")) for terms in sites.treated_site.values()
                                     for t in terms])

    def map(self, doc: Document) -> None:
        malignant = [i for s in doc.sentences for i in s.mentions("diagnosis") if self._is_malignant(i)]
        if not malignant:
            return
        words = cache(lambda: self._report_words.match(doc.tokens, doc.text))  # read once, when first needed
        said = cache(lambda: {m.payload for m in words()})
        compared = cache(lambda: self._compares(doc, malignant, said()))
        noise = cache(lambda: [m.first for m in words() if m.payload == _NO_CHANGE])
        history = [self._tells_history(doc, s) for s in doc.sentences]
        # a change word that names the disease in the story before this examination ("Indication: recurrent GBM")
        known = {(words, key) for _, words, key in
                 _named_changes(doc, (s for s, told in zip(doc.sentences, history, strict=True) if told))}
        # each change word with the diagnoses it speaks of, and whether it tells a remission
        stated: list[tuple[Sentence, str, list[Item], bool]] = []
        blamed: list[tuple[Sentence, str]] = []  # a change that the sentence puts down to treatment
        for sentence, told in zip(doc.sentences, history, strict=True):
            if told:
                continue
            for item in sentence.mentions("diagnosis"):
                if self._is_malignant(item) and item.mention.certainty is Certainty.RESOLVED:
                    _add(item, IMPROVEMENT)
            episodes = sentence.mentions("episode")
            named = _named_changes(doc, [sentence]) if episodes and known else []
            changes: list[tuple[Item, str]] = []
            for previous, episode in zip([None, *episodes], episodes, strict=False):
                if (_restates(doc, previous, episode) or self._shares_denial(doc, previous, episode)
                        or not self._states_a_change(doc, sentence, episode, compared, said, noise)):
                    continue
                if not self._resection(doc, episode) and any(
                        change is episode and (words, key) in known for change, words, key in named):
                    continue  # "Hx: recurrent glioblastoma" ... "recurrent glioblastoma, decreased": its name
                changes.append((episode, episode.mention.key))
            for change, key in changes or self._measured_changes(doc, sentence):
                targets = self._targets(doc, sentence, change, malignant)
                if targets is None:
                    blamed.append((sentence, key))
                else:
                    stated.append((sentence, key, targets, self._remission(doc, change, key)))
        blamed += [(s, PROGRESSION) for s in self._blaming_treatment(doc)]
        overall = not any(s.section == IMPRESSION and key == PROGRESSION and targets for s, key, targets, _ in stated)
        sites = self._sites_by_sentence(doc) if blamed else {}
        kept = [(key, targets, remission) for sentence, key, targets, remission in stated if not any(
            k == key and other is not sentence and self._same_lesion(doc, sites, other, sentence, overall)
            for other, k in blamed)]
        for key, targets, remission in kept:
            for target in targets:
                if not remission:
                    _add(target, key)
        relapsed = {i.mention.key for i in malignant if PROGRESSION in i.mention.related}
        for key, targets, remission in kept:
            for target in targets:
                if remission and target.mention.key not in relapsed:
                    _add(target, key)

    def _denied_change(self, doc: Document, episode: Item | None) -> bool:
        """A stable phrase that is a change denied ("no progression", "no evidence of disease progression"):
        the denial a negation finds in it is its own, and stated it is stable."""
        return (episode is not None and episode.mention.key == STABLE
                and doc.tokens[episode.first_token].lemma in self._denials)

    def _shares_denial(self, doc: Document, previous: Item | None, episode: Item) -> bool:
        """A change word joined by "or" to a denied change before it is denied with it ("no interval
        progression or recurrence"): no change of its own."""
        between = doc.lemmas(previous.last_token, episode.first_token) if previous is not None else []
        return (self._denied_change(doc, previous) and any(w in self._alternatives for w in between)
                and all(w in self._alternatives or not w[0].isalnum() for w in between))

    def _remission(self, doc: Document, episode: Item, key: str) -> bool:
        """The change word tells a state without disease, not a comparison: a stable one ("in remission",
        "sustained complete response") or a remission reached ("complete remission after ASCT"). A relapse
        stated in the same report ends that state, which then is the one before it."""
        lemmas = doc.lemmas(episode.first_token, episode.last_token)
        if key == STABLE:
            return bool(set(lemmas) & self._remission_states)
        return key == IMPROVEMENT and tuple(lemmas) in self._remission_improvements

    def _blaming_treatment(self, doc: Document) -> list[Sentence]:
        """Sentences that put a change stated elsewhere down to treatment: impression sentences that explain
        it by treatment ("most consistent with pseudoprogression", "favor radiation necrosis") or open with it
        as their conclusion ("Radiation necrosis at the left cerebellar site."; not a differential, "... or
        recurrence"), with or without a change word of their own; and findings sentences that refer back to
        the sentence before them ("It is thought to be radiation necrosis", ``episode_back_references``)."""
        return [sentence for sentence in doc.sentences if self._blames_treatment(doc, sentence)]

    def _blames_treatment(self, doc: Document, sentence: Sentence) -> bool:
        cues = sentence.cues(TREATMENT_EFFECT)
        if sentence.section == IMPRESSION:
            return any(self._attributed(doc, sentence, cue) or self._concluded(doc, sentence, cue) for cue in cues)
        return bool(cues) and self._refers_back(doc, sentence) and any(
            self._attributed(doc, sentence, cue) for cue in cues)

    def _refers_back(self, doc: Document, sentence: Sentence) -> bool:
        """A findings sentence that opens with a back reference ("It", "These findings"), or that names no
        diagnosis and states no change of its own ("Perfusion is low and the reader favours pseudoprogression rather
        than true progression"): it speaks of the sentence just before it."""
        return states_findings(sentence.section_kind) and (
            _opens(doc, sentence, self._back_references) or self._comments(doc, sentence))

    def _comments(self, doc: Document, sentence: Sentence) -> bool:
        """The sentence names no diagnosis and every change word of it is denied or dismissed, not a change denied
        as such ("no progression" states stability): it can only speak of a change stated before it."""
        episodes = sentence.mentions("episode")
        return bool(episodes) and not sentence.mentions("diagnosis") and all(
            i.mention.certainty in _NOT_STATED and not self._denied_change(doc, i) for i in episodes)

    def _concluded(self, doc: Document, sentence: Sentence, cue: Item) -> bool:
        """``cue`` opens its sentence (after list marks only), is no side of a differential and is not
        dismissed ("Pseudoprogression is less likely; ...")."""
        opening = doc.lemmas(sentence.first_token, cue.first_token)
        following = doc.lemmas(cue.last_token, min(cue.last_token + 1, sentence.last_token))
        return (not any(w[0].isalpha() for w in opening) and not set(following) & self._alternatives
                and not self._dismissed(doc, sentence, cue))

    def _dismissed(self, doc: Document, sentence: Sentence, cue: Item) -> bool:
        """A dismissal follows the non-tumor subject ("pseudoprogression is less likely", "radiation necrosis
        - not favoured", ``episode_dismissals_after``): the change is not said of it, nor put down to it."""
        after = tuple(doc.lemmas(cue.last_token, min(sentence.last_token, cue.last_token + self._dismissal_reach)))
        return any(after[: len(phrase)] == phrase for phrase in self._dismissals_after)

    def _states_a_change(self, doc: Document, sentence: Sentence, episode: Item, compared: Callable[[], bool],
                         said: Callable[[], set[str]], noise: Callable[[], list[int]]) -> bool:
        """The change word tells this examination against the prior one: not negated (other than by its
        own denial, "no progression") or hypothetical, not a first examination's "new", no removal of the
        tumor unless the prior examination was pre-operative and compared ("Comparison: none available; the
        preoperative MRI was done elsewhere" compares with none; ``said``: the kinds of report words found), not
        explained after it as measurement noise ("slightly larger, within measurement variability";
        ``noise``: where ``change_explanations`` start)."""
        if episode.mention.certainty in _NOT_STATED and not (
                episode.mention.certainty is Certainty.NEGATED and self._denied_change(doc, episode)):
            return False
        if set(doc.lemmas(episode.first_token, episode.last_token)) & self._first_exam_changes and not compared():
            return False
        if self._resection(doc, episode) and (_PREOPERATIVE not in said() or _NO_PRIOR in said()):
            return False
        if self._names_lesion(doc, sentence, episode):
            return False
        return not any(episode.last_token <= i < sentence.last_token for i in noise())

    def _names_lesion(self, doc: Document, sentence: Sentence, episode: Item) -> bool:
        """A change word that heads a place phrase names the known lesion ("decrease in enhancement at the left frontal
        recurrence"): a link, an article and at most ``_NAME_PLACE_WORDS`` plain words before it, no "of" around it
        ("at the recurrence of the tumour", "at the site of recurrence" still tell one)."""
        lemmas = doc.lemmas(episode.first_token, episode.last_token)
        if len(lemmas) != 1 or lemmas[0] not in self._lesion_names or (
                episode.last_token < sentence.last_token and doc.tokens[episode.last_token].lemma == "of"):
            return False
        before = doc.lemmas(max(sentence.first_token, episode.first_token - _NAME_PLACE_WORDS - 2), episode.first_token)
        for i in range(len(before) - 1):
            if before[i] in self._place_links and before[i + 1] in self._articles:
                return all(w.isalpha() and w != "of" for w in before[i + 2:])
        return False

    def _measured_changes(self, doc: Document, sentence: Sentence) -> list[tuple[Item, str]]:
        """The changes that sizes state in a sentence with no change word of its own: two sizes with one
        word between them that makes the second the earlier one ("8 mm (previously 5 mm)", "now 1.1 cm
        from 2.5 cm"), or only an arrow that makes it the later one ("12 mm -> 6 mm"); progression,
        improvement or stable by their ratio (``measured_change``)."""
        if not self._two_sizes.search(doc.text, sentence.start, sentence.end):
            return []  # no two sizes: most sentences (a test on the text, cheaper than on tokens)
        out = []
        for (first, last, size), (next_first, next_last, next_size) in itertools.pairwise(
                _sizes(doc, sentence, self._units)):
            between = doc.lemmas(last, next_first)
            words = [w for w in between if w[0].isalnum()]
            if tuple(words) in self._earlier_words:
                now, before = size, next_size
            elif not words and set(between) & self._later_marks:
                now, before = next_size, size
            else:
                continue
            course = self._course(now / before) if before > 0 else None
            if course is not None:
                out.append((Item(first, next_last), course))
        return out

    def _course(self, ratio: float) -> str | None:
        """The episode of a size now over the size before: equal is stable, beyond the thresholds
        (``measured_change``) progression or improvement; a smaller difference states nothing by itself."""
        if ratio == 1:
            return STABLE
        if ratio >= self.rules.measured_change.growth:
            return PROGRESSION
        return IMPROVEMENT if ratio <= self.rules.measured_change.shrinkage else None

    def _resection(self, doc: Document, episode: Item) -> bool:
        """The change word tells the tumor's removal ("gross total resection"): the operation since a
        pre-operative examination, which a history line telling it ("for resection of GBM") does not name."""
        return bool(set(doc.lemmas(episode.first_token, episode.last_token)) & self._resection_changes)

    def _tells_history(self, doc: Document, sentence: Sentence) -> bool:
        """The sentence tells the story before this examination, not a change seen in it: a line of a
        section that is no findings (history, indication, comparison), or a prose sentence opening with a
        history lead ("Follow up of ...")."""
        return not states_findings(sentence.section_kind) or _opens(doc, sentence, self._history_leads)

    def _compares(self, doc: Document, malignant: list[Item], said: set[str]) -> bool:
        """The report compares with a prior examination: it says so (``said``: the kinds of report
        words found), follows known disease, or states a change that only a comparison gives
        ("decreased", "unchanged", "no interval growth")."""
        if _NO_PRIOR in said:
            return False
        return (_PRIOR in said or any(i.mention.certainty is Certainty.HISTORICAL for i in malignant)
                or any(not set(doc.lemmas(e.first_token, e.last_token)) & self._conditional_changes
                       for s in doc.sentences if states_findings(s.section_kind) for e in s.mentions("episode")))

    def _same_lesion(self, doc: Document, sites: Sites, blaming: Sentence, other: Sentence, overall: bool) -> bool:
        """``other`` speaks of the lesion whose change ``blaming`` puts down to treatment: both name a
        common place on no opposite sides ("left frontal", the treated site), or, where one names no
        place, the blaming sentence is the impression's overall statement (guideline section 3 rule 3;
        not where the impression also states progression) or repeats the other's description; or the
        blaming sentence refers back to ``other`` right before it ("... has enlarged. It is thought to be
        radiation necrosis.")."""
        if other.index == blaming.index - 1 and self._refers_back(doc, blaming):
            return True
        (places, sides), (other_places, other_sides) = sites[blaming.index], sites[other.index]
        if places and other_places:
            return bool(places & other_places) and (not sides or not other_sides or bool(sides & other_sides))
        if overall and blaming.section == IMPRESSION:
            return True
        return bool(self._descriptions(doc, blaming) & self._descriptions(doc, other))

    def _sites_by_sentence(self, doc: Document) -> Sites:
        """The place words and sides each sentence names."""
        sites: Sites = {s.index: (set(), set()) for s in doc.sentences}
        starts = [s.first_token for s in doc.sentences]
        for match in self._sites.match(doc.tokens, doc.text):
            kind, value = match.payload
            sentence = doc.sentences[bisect_right(starts, match.first) - 1]
            sites[sentence.index][0 if kind == "place" else 1].add(value)
        return sites

    def _descriptions(self, doc: Document, sentence: Sentence) -> set[tuple[str, ...]]:
        """Runs of words around the sentence's tumor words ("small focus of", "focus of enhancement")."""
        n = _SAME_DESCRIPTION
        runs: set[tuple[str, ...]] = set()
        for cue in sentence.cues("tumor_reference"):
            first, last = max(sentence.first_token, cue.last_token - n), min(cue.first_token, sentence.last_token - n)
            for start in range(first, last + 1):
                run = tuple(doc.lemmas(start, start + n))
                if all(w[0].isalnum() for w in run):
                    runs.add(run)
        return runs

    def _attributed(self, doc: Document, sentence: Sentence, subject: Item) -> bool:
        """An attribution phrase ("likely", "consistent with", "->") stands right before ``subject``, or
        before words the lexicon names a diagnosis subject with ("consistent with acute embolic infarcts"),
        or an article ("likely a radiation injury"), not denied ("not related to"); or one of
        ``episode_attributions_after`` right after it ("radiation necrosis favoured", "방사선 괴사 가능성"),
        not denied after it ("가능성 낮음")."""
        after = tuple(doc.lemmas(subject.last_token, min(sentence.last_token, subject.last_token + self._after_reach)))
        if any(after[: len(phrase)] == phrase and not set(after[len(phrase) : len(phrase) + 1]) & self._denials
               for phrase in self._attributions_after):
            return True
        # the words that may stand between: the lexicon's words for the subject, and articles ("likely a ...")
        between = (self._name_words[subject.mention.key] if subject.mention else set()) | self._articles
        end = subject.first_token
        for _ in range(_MODIFIER_GAP + 1):
            if self._attribution_ends_at(doc, sentence, end):
                return True
            end -= 1
            if end < sentence.first_token or doc.tokens[end].lemma not in between:
                return False
        return False

    def _attribution_ends_at(self, doc: Document, sentence: Sentence, end: int) -> bool:
        """An attribution phrase, not denied ("not related to"), ends right before token ``end``."""
        before = doc.lemmas(max(sentence.first_token, end - 5), end)
        for phrase in self._attributions:
            n = len(phrase)
            if n <= len(before) and tuple(before[-n:]) == phrase and (n == len(before) or
                                                                      before[-n - 1] not in self._denials):
                return True
        return False

    def _explanation(self, doc: Document, sentence: Sentence, episode: Item, others: list[Item]) -> Item | None:
        """The non-tumor subject named after the change that the sentence attributes it to: an
        attribution phrase ("likely", "consistent with", "->") before that subject or non-malignant
        diagnosis, not denied ("not related to") and not one side of a differential ("... infection or
        metastases"), nor a word that modifies a tumor ("consistent with haemorrhagic metastases"). It
        explains the nearest change before it only: in "all decreased except one which increased, likely
        radiation" the decrease stands; and a later clause with a tumor of its own explains that tumor
        ("mixed response; the right frontal lesion represents radiation necrosis")."""
        changes = [e.first_token for e in sentence.mentions("episode") if not self._resection(doc, e)]
        tumor_starts = {i.first_token for i in sentence.cues("tumor_reference") + sentence.mentions("diagnosis")
                        if i.cue or self._is_malignant(i)}
        breaks = [i for i in range(episode.last_token, sentence.last_token)
                  if doc.tokens[i].lemma in self._clause_breaks]
        return next((cue for cue in sentence.cues(*_NON_TUMOR_SUBJECTS) + others
                     if cue.first_token >= episode.last_token and cue.last_token not in tumor_starts
                     and not set(doc.lemmas(cue.last_token, cue.last_token + 1)) & self._alternatives
                     and not any(episode.last_token <= c < cue.first_token for c in changes)
                     and not _own_subject(breaks, tumor_starts, cue)
                     and self._attributed(doc, sentence, cue)), None)

    def _attached(self, doc: Document, subject: Item, episode: Item) -> bool:
        """The change is said of a feature the subject has ("glioblastoma with increased enhancement"), not of
        the subject itself: an attachment word (``episode_grammar.attachments``) stands between them."""
        return bool(set(doc.lemmas(subject.last_token, episode.first_token)) & self._attachments)

    def _one_differential(self, doc: Document, a: Item, b: Item) -> bool:
        """Two diagnoses side by side, joined by "vs" / "or" and punctuation only ("lymphoma versus toxoplasmosis")."""
        first, second = sorted((a, b), key=lambda i: i.first_token)
        between = doc.lemmas(first.last_token, second.first_token)
        return 0 < len(between) <= 2 and any(w in self._alternatives for w in between) and all(
            w in self._alternatives or not w[0].isalnum() for w in between)

    def _is_malignant(self, item: Item) -> bool:
        return self.rules.is_malignant(item.mention.key) and item.mention.certainty not in (
            Certainty.NEGATED, Certainty.UNLIKELY, Certainty.HYPOTHETICAL)

    def _targets(self, doc: Document, sentence: Sentence, episode: Item, malignant: list[Item]) -> list[Item] | None:
        """The malignant diagnoses a change word speaks of, none when it is about something else, or
        None when the sentence puts the change down to treatment or another non-tumor subject."""
        here = [i for i in sentence.mentions("diagnosis") if self._is_malignant(i)]
        others = [i for i in sentence.mentions("diagnosis") if not self._is_malignant(i)]
        cues = [c for c in sentence.cues(*_NON_TUMOR_SUBJECTS) if not self._dismissed(doc, sentence, c)]
        cues += sentence.cues("tumor_reference")
        subject = _subject(doc, episode, sentence, cues + here + others, self._clause_breaks)
        if subject is not None and subject.mention and not self._is_malignant(subject):
            # "lymphoma versus toxoplasmosis, increased": the change is each side's (guideline section 3 rule 2)
            return [i for i in here if self._one_differential(doc, i, subject)]
        if subject is not None and subject.cue in _NON_TUMOR_SUBJECTS:
            return []
        # not "the metastasis increased, likely ...", but "glioblastoma with increased enhancement, likely ..."
        explanation = self._explanation(doc, sentence, episode, others) if (
            subject is None or subject.mention is None or self._attached(doc, subject, episode)) else None
        if explanation is not None:
            # "increased enhancement, likely radiation necrosis" blames treatment; "new foci of restricted
            # diffusion, consistent with embolic infarcts" is the other diagnosis's change
            return [] if explanation.mention else None
        if here:
            return here
        earlier = [i for i in malignant if i.mention.sentence <= sentence.index]
        if not earlier or len({i.mention.key for i in earlier}) == 1:
            return earlier or malignant
        latest = earlier[-1].mention.sentence  # the last-named disease, or its differential
        return [i for i in earlier if i.mention.sentence == latest]


def _subject(doc: Document, episode: Item, sentence: Sentence, candidates: list[Item],
             clause_breaks: frozenset[str]) -> Item | None:
    """What a change word is said of: the first candidate of its clause before it ('the enhancing
    lesion along the resection cavity has increased'), else the nearest one after it in its clause
    ('increased enhancement'), else the first one of the nearest clause before that names one: a change
    standing alone after a comma is said of that clause's head ('haemorrhage in the treated lesion,
    unchanged' speaks of the haemorrhage, not the lesion)."""
    lemmas = doc.lemmas(sentence.first_token, sentence.last_token)
    breaks = [sentence.first_token + i for i, w in enumerate(lemmas) if w in clause_breaks]
    clause_start = max((b + 1 for b in breaks if b < episode.first_token), default=sentence.first_token)
    clause_end = min((b for b in breaks if b >= episode.last_token), default=sentence.last_token)
    before = [c for c in candidates if clause_start <= c.first_token and c.last_token <= episode.first_token]
    if before:
        return min(before, key=lambda c: c.first_token)
    after = [c for c in candidates if episode.last_token <= c.first_token < clause_end]
    if after:
        return min(after, key=lambda c: c.first_token)
    nearest = max((c for c in candidates if c.last_token <= episode.first_token), key=lambda c: c.last_token,
                  default=None)
    if nearest is None:
        return None
    start = max((b + 1 for b in breaks if b < nearest.first_token), default=sentence.first_token)
    return min((c for c in candidates if start <= c.first_token and c.last_token <= nearest.last_token),
               key=lambda c: c.first_token)


def _sizes(doc: Document, sentence: Sentence, units: dict[str, float]) -> list[tuple[int, int, float]]:
    """The sizes a sentence states, in millimetres, with their token spans: a number or dimensions
    ("1.2 x 0.8", "4,2" with a decimal comma) right before a unit word; dimensions count by the largest."""
    out: list[tuple[int, int, float]] = []
    start, values = None, []  # the numbers read since the last word that was no number, "x" or decimal comma
    tokens = doc.tokens
    for i in range(sentence.first_token, sentence.last_token):
        lemma = tokens[i].lemma
        number = _number(lemma)
        if number is not None and values and _decimal_comma(tokens, i):
            values[-1] = _number(f"{tokens[i - 2].lemma}.{lemma}")
        elif number is not None:
            if not values or tokens[i - 1].lemma not in ("x", "×"):
                start, values = i, []
            values.append(number)
        elif lemma in units and values and start is not None:
            out.append((start, i + 1, max(values) * units[lemma]))
            start, values = None, []
        elif not (lemma in ("x", "×", ",") and values):
            start, values = None, []
    return out


def _number(word: str) -> float | None:
    if not word[0].isdigit():
        return None
    try:
        return float(word)
    except ValueError:
        return None


def _decimal_comma(tokens, i: int) -> bool:
    """Token ``i`` is the fraction of "4,2": a comma written between two numbers without spaces."""
    return (i >= 2 and tokens[i - 1].lemma == "," and tokens[i - 1].start == tokens[i - 2].end
            and tokens[i].start == tokens[i - 1].end and _number(tokens[i - 2].lemma) is not None)


def _own_subject(breaks: list[int], tumor_starts: set[int], cue: Item) -> bool:
    """The clause of ``cue``, after a clause break (``breaks``: after the change), names a tumor before it."""
    start = max((b for b in breaks if b < cue.first_token), default=None)
    return start is not None and any(start < t < cue.first_token for t in tumor_starts)


def _restates(doc: Document, previous: Item | None, episode: Item) -> bool:
    """A change word in parentheses right after another one is its abbreviation ("complete response (CR)",
    "progressive disease (PD)"), no second change."""
    return (previous is not None and episode.first_token == previous.last_token + 1
            and doc.tokens[previous.last_token].lemma == "(")


def _named_changes(doc: Document, sentences) -> list[tuple[Item, tuple[str, ...], str]]:
    """Change words that name a malignant diagnosis a few plain words after them ("recurrent left
    temporal glioblastoma"): (change word, its words, the diagnosis key)."""
    out = []
    for sentence in sentences:
        diagnoses = sentence.mentions("diagnosis")
        for episode in sentence.mentions("episode"):
            for item in diagnoses:
                gap = doc.lemmas(episode.last_token, item.first_token)
                if 0 <= item.first_token - episode.last_token <= _NAMING_GAP and all(w[0].isalnum() for w in gap):
                    out.append((episode, tuple(doc.lemmas(episode.first_token, episode.last_token)), item.mention.key))
    return out


def _lemma_set(terms_by_language: dict[str, list[str]]) -> set[tuple[str, ...]]:
    return {term_lemmas(t) for terms in terms_by_language.values() for t in terms}


def _opening_phrases(*terms_by_language: dict[str, list[str]]) -> OpeningPhrases:
    return OpeningPhrases(t for lists in terms_by_language for terms in lists.values() for t in terms)


def _opens(doc: Document, sentence: Sentence, phrases: OpeningPhrases) -> bool:
    """The sentence opens with one of ``phrases`` ("Follow up of ...", "It is ..."), read on its first words only."""
    return phrases.open(doc.lemmas(sentence.first_token,
                                   min(sentence.last_token, sentence.first_token + phrases.longest)))


def _add(item: Item, key: str) -> None:
    if key not in item.mention.related:
        item.mention.related.append(key)
