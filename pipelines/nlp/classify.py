"""The `incident_classifier` component: is this article about an incident, and of which types.

An incident article tells that something happened to someone: the title says so ("hacked",
"breach", "ransomware attack"), a victim is on the receiving end in the grammar, and the
body asserts it. Patch, vulnerability, product, trend-report and advice articles lack a
victim and are dominated by their own vocabulary ("patch", "flaw", "CVE", "survey").
Types count only in sentences that assert (no modal, negation, generalisation or past
example) and outside quotes by commentators: "often tied to ransomware" is not ransomware.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from core.vocabulary import SPECIFIC_INCIDENT_TYPES
from pipelines.nlp.cues import load_cues
from pipelines.nlp.guard import guarded
from pipelines.nlp.roles import title_end
from pipelines.nlp.state import DocAnalysis, doc_analysis
from pipelines.nlp.text import doc_info, extent_phrase, has_past_marker, is_hedged, is_past, word_ids

# doc.user_data key of the asserted sentences (start character, text, is_title), as
# `IncidentClassifier.asserted_sentences` gives them
ASSERTED_KEY = "incident_asserted"

NEGATIONS = {"not", "no", "nor", "never", "without", "denies", "denied", "rules", "ruled"}
# Incident words that name a cyber incident rather than its consequence (outage, disruption).
CYBER_WORDS = {
    "breach",
    "breached",
    "breaches",
    "hack",
    "hacked",
    "hacks",
    "hacking",
    "hacker",
    "hackers",
    "attack",
    "attacked",
    "attacks",
    "attackers",
    "cyberattack",
    "cyberattacks",
    "compromised",
    "compromise",
    "intrusion",
    "intruders",
    "unauthorized",
    "unauthorised",
    "stolen",
    "stole",
    "steal",
    "steals",
    "theft",
    "leak",
    "leaked",
    "leaks",
    "exposed",
    "exposes",
    "ransomware",
    "ransom",
    "infected",
    "infects",
    "extortion",
    "extort",
    "defaced",
    "defacement",
    "phishing",
    "phished",
    "ddos",
    "denial-of-service",
    "malware",
    "encrypted",
    "skimming",
    "skimmer",
    "espionage",
    "accessed",
    "exfiltrated",
    "dumped",
    "hijacked",
    "hijack",
    "hijacking",
    "takeover",
    "scam",
    "fraud",
    "fraudulent",
    "fraudsters",
    "criminals",
    "cybercriminals",
    "scammers",
    "impersonated",
    "tricked",
    "wiper",
    "trojanized",
    "backdoored",
    "spied",
    "scraped",
    "spyware",
    "botnet",
}

TYPE_ORDER = list(SPECIFIC_INCIDENT_TYPES)
# Pattern indices of data_breach that only say "breach", that patients were notified of an
# incident, or that intruders reached data (weak alongside ransomware, whose notices say so too).
WEAK_BREACH = {1, 20, 21}
# Espionage cues that name who attacked, not what they did: they count only in a sentence
# that tells of an intrusion ("state-sponsored hackers broke into the ministry").
WEAK_ESPIONAGE = re.compile(
    r"state|nation|apt ?\d|government|military|spies|spying|chinese|russian|iranian|korean|foreign",
    re.IGNORECASE,
)
INTRUSION = re.compile(
    r"\b(?:attack\w*|hack\w*|breach\w*|intru\w+|compromis\w+|accessed|infiltrat\w+|penetrat\w+|"
    r"broke into|stole|stolen|exfiltrat\w+|behind|responsible|attribut\w+|carried out|targeted|spied|campaign|espionage)\b",
    re.IGNORECASE,
)
# Takeover cues that need no owner named: they only ever mean users' accounts.
STRONG_TAKEOVER = re.compile(
    r"takeover|credential[- ]stuffing|sim[- ](?:swap|hijack)|twitter|facebook|instagram|youtube|linkedin|social media|verified",
    re.IGNORECASE,
)
# What intruders did with accounts they reached: used them, so the accounts were taken over.
TAKEOVER_EFFECT = re.compile(
    r"\b(?:control|hijack\w*|took over|taken over|locked out|lock\w* (?:\w+ )?out|changed (?:\w+ )?passwords?|drain\w*|"
    r"purchases?|bought|posted|tweet\w*|sent (?:\w+ )?messages|credential[- ]stuffing|reused|recycled|re-used|impersonat\w*)\b",
    re.IGNORECASE,
)
# Whose accounts were taken over: users, customers and the public, or a public figure.
ACCOUNT_OWNERS = re.compile(
    r"\b(?:users?|customers?|members?|subscribers?|players?|gamers?|shoppers?|clients?|account ?holders?|"
    r"consumers?|people|celebrit\w+|influencers?|fans?|followers?|twitter|facebook|instagram|youtube|tiktok|"
    r"social media|verified|prominent|high-profile|public figures?|gmail|icloud|steam|xbox|playstation|coinbase|wallets?)\b",
    re.IGNORECASE,
)
# Cue lists read like types but resolved from the whole article (see `resolve`).
SCAN_ORDER = [*TYPE_ORDER, "impersonation"]


def own_body_sentences(doc: Doc, analysis: DocAnalysis, t_end: int) -> Iterator[Span]:
    """Body sentences (after the title) that are not inside a quote by someone other than the
    victim or an agency: a commentator's words about ransomware in general assert nothing."""
    trusted = set(analysis.victims) | {a["name"] for a in analysis.agencies}
    untrusted = [(start, end) for start, end, speaker in analysis.quote_spans if speaker not in trusted]
    for sent in doc_info(doc).sents:
        if sent.start_char < t_end:
            continue
        middle = (sent.start_char + sent.end_char) // 2
        if not any(start <= middle < end for start, end in untrusted):
            yield sent


def masked_text(sent: Span) -> str:
    """The sentence with multi-word organisation names blanked, so "Breach Desk" (a
    publisher) or "Ransomware Task Force" do not read as incident words."""
    names = [
        e
        for e in doc_info(sent.doc).sent_ents(sent)
        if e.label_ in {"ORG", "WORK_OF_ART"} and len(e) >= 2 and all(t.is_title or not t.is_alpha for t in e)
    ]
    if not names:
        return doc_info(sent.doc).span_text(sent)
    parts = []
    for token in sent:
        ent = token.ent_type_
        if ent in {"ORG", "WORK_OF_ART"} and token.is_title and _in_title_case_name(token):
            parts.append("X" + token.whitespace_)
        else:
            parts.append(token.text_with_ws)
    return "".join(parts)


def _in_title_case_name(token: Token) -> bool:
    info = doc_info(token.doc)
    for ent in info.sent_ents(info.sent(token)):
        if ent.start <= token.i < ent.end:
            return len(ent) >= 2 and all(t.is_title or not t.is_alpha for t in ent)
    return False


class IncidentClassifier:
    """Decides is_incident and incident_types from cues, victims and hedging."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        threshold: float,
        lead_fallback: bool = False,
        local_hedges: bool = True,
        hedge_before: int = 60,
        hedge_after: int = 25,
    ):
        self.name = name
        self.local_hedges = local_hedges
        self.hedge_before = hedge_before
        self.hedge_after = hedge_after
        hedge_words = sorted(
            load_cues()["hedges"]["words"] | {"n't", "none", "nothing", "unclear"}, key=len, reverse=True
        )
        self.hedge_pattern = re.compile(
            r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in hedge_words) + r")(?![\w-])", re.IGNORECASE
        )
        self.lead_fallback = lead_fallback
        self.lead_sentences_n = 2
        self.threshold = threshold
        cues = load_cues()
        self.incident_words = cues["incident"]["words"]
        self.incident_title = cues["incident"]["title_words"]
        self.non_title = cues["non_incident"]["title_words"]
        self.non_body = cues["non_incident"]["body_words"]
        self.types = {
            kind: re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
            for kind, patterns in cues["types"].items()
            if patterns
        }
        breach = cues["types"].get("data_breach", [])
        context = cues.get("type_context", {})
        self.context = {
            key: re.compile("|".join(f"(?:{p})" for p in sorted(patterns)), re.IGNORECASE)
            for key, patterns in context.items()
            if patterns
        }
        self.generic_kinds = cues.get("generic", {}).get("kinds", frozenset())
        self.speech_verbs = cues["speech"]["verbs"]
        self.advice_verbs = cues.get("generic", {}).get("advice_verbs", frozenset())
        self.strong_breach = re.compile(
            "|".join(f"(?:{p.pattern})" for i, p in enumerate(breach) if i not in WEAK_BREACH), re.IGNORECASE
        )

    def asserted_sentences(self, doc: Doc, analysis: DocAnalysis) -> list[tuple[int, str, bool]]:
        """(start character, sentence text, is it the title) for the sentences that assert
        rather than speculate: the one idea of it that the rule classifier and the learned
        types' evidence share. Not hedged, not about an earlier event (in the lead only a past
        phrase makes it so, see `is_past`), not a quote by someone other than the victim or
        an agency; the title when it is not hedged."""
        t_end = title_end(doc)
        result = []
        if t_end:
            title = doc.char_span(0, t_end, alignment_mode="expand")
            if title is not None and not is_hedged(title):
                result.append((0, title.text, True))
        for sent in own_body_sentences(doc, analysis, t_end):
            if is_hedged(sent) or self.is_past(sent, t_end):
                continue
            result.append((sent.start_char, masked_text(sent), False))
        return result

    def is_past(self, sent: Span, t_end: int) -> bool:
        """An earlier event's sentence. In the lead (the first body sentences) only a past
        phrase makes it so, not a year: a breach notice dated this year tells of an
        intrusion last December ("In December 2018, an unauthorized party accessed ...")."""
        if not is_past(sent):
            return False
        info = doc_info(sent.doc)
        lead = sent.doc.user_data.get("incident_lead_starts")
        if lead is None:
            lead = []
            for s in info.sents:
                if len(lead) >= self.lead_sentences_n:
                    break
                if s.start_char >= t_end:
                    lead.append(s.start)
            sent.doc.user_data["incident_lead_starts"] = lead
        return sent.start not in lead or has_past_marker(info.span_text(sent))

    def is_generic(self, sent: Span) -> bool:
        """A sentence that tells what usually happens, not what happened (see [generic] in
        data/nlp/cues.toml): its main verb in the plain present or with a modal ("will"), no
        other auxiliary, no past-tense verb, and not a verb of saying (but of advising)."""
        root = sent.root
        if any(t.tag_ == "VBD" for t in sent):
            return False
        if root.lower_ in self.speech_verbs and root.lower_ not in self.advice_verbs:
            return False
        aux = [c for c in root.children if c.dep_ in {"aux", "auxpass"}]
        if root.tag_ in {"VBZ", "VBP"}:
            return not aux
        return root.tag_ == "VB" and bool(aux) and all(a.tag_ == "MD" for a in aux)

    def hedged_sentences(self, doc: Doc, analysis: DocAnalysis) -> list[tuple[int | None, str]]:
        """Body sentences left out of `asserted_sentences` only for a hedge word: a type named
        in them still counts when no hedge is near it (see `locally_hedged`). Each with its start
        character (None for the title, which is never generic)."""
        t_end = title_end(doc)
        result = []
        if t_end:
            # a cautious headline ("... may have exposed data of 2m patients") still names
            # the type where no hedge is near it
            title = doc.char_span(0, t_end, alignment_mode="expand")
            if title is not None and is_hedged(title):
                result.append((None, title.text))
        for sent in own_body_sentences(doc, analysis, t_end):
            if self.is_past(sent, t_end) or not is_hedged(sent):
                continue
            result.append((sent.start_char, masked_text(sent)))
        return result

    def locally_hedged(self, text: str, start: int, end: int) -> bool:
        """Is a hedge or negation close before (or just after) the match? "Staff received fake
        emails, and many entered passwords" asserts phishing; "could be ransomware" and "no
        data was stolen" do not assert."""
        window = text[max(0, start - self.hedge_before) : min(len(text), end + self.hedge_after)]
        extent = extent_phrase()
        return any(extent.match(window, m.start()) is None for m in self.hedge_pattern.finditer(window))

    def detect(
        self, doc: Doc, analysis: DocAnalysis, asserted: list[tuple[str, bool]]
    ) -> tuple[bool, float, dict]:
        t_end = title_end(doc)
        title_tokens = [t.lower_ for t in doc if t.idx < t_end]
        # "blames storm, not hackers": a negated headline word does not count
        negated = {i + k for i, t in enumerate(title_tokens) if t in NEGATIONS for k in (1, 2, 3)}
        title_inc = sum(
            1 for i, t in enumerate(title_tokens) if t in self.incident_title and i not in negated
        )
        title_cyber = any(
            t in CYBER_WORDS or t.startswith("cyber") for i, t in enumerate(title_tokens) if i not in negated
        )
        title_non = sum(1 for t in title_tokens if t in self.non_title)
        body = [s for s in doc_info(doc).sents if s.start_char >= t_end]
        info = doc_info(doc)
        non_ids = word_ids(self.non_body)
        inc_ids = word_ids(self.incident_words)
        # a sentence about a patch or flaw that also asserts an incident ("attackers pushed a
        # trojanized update to customers") is the incident's, not a patch article's
        non_sents = sum(
            1
            for s in body
            if (info.has_any(s, non_ids) or "cve-" in info.span_text(s).lower())
            and not (info.has_any(s, inc_ids) and not is_hedged(s) and not is_past(s))
        )
        non_ratio = non_sents / max(len(body), 1)
        hits = sum(
            1
            for text, is_title in asserted
            if not is_title and any(w in self.incident_words for w in re.findall(r"[\w-]+", text.lower()))
        )
        body_cyber = any(
            not is_title
            and any(w in CYBER_WORDS or w.startswith("cyber") for w in re.findall(r"[\w-]+", text.lower()))
            for text, is_title in asserted
        )
        victims = analysis.victims
        strong = float(analysis.victim_strong)
        score = 0.0
        score += 1.5 * min(title_inc, 2)
        score -= 1.5 * min(title_non, 2)
        score += 0.5 * min(strong, 6.0)
        score += 1.0 if victims else -2.0
        score += 0.4 * min(hits, 5)
        score -= 4.0 * non_ratio
        features = {
            "title_inc": title_inc,
            "title_non": title_non,
            "non_ratio": round(non_ratio, 2),
            "hits": hits,
            "strong": strong,
            "score": round(score, 2),
        }
        # An outage, a disruption or "suspicious activity" alone is not a cyber incident: the
        # headline or an asserted sentence must name one (attack, breach, hack, ransomware, ...).
        features["cyber"] = title_cyber or body_cyber
        return score >= self.threshold and (title_cyber or body_cyber), score, features

    def classify(
        self,
        doc: Doc,
        analysis: DocAnalysis,
        asserted: list[tuple[str, bool]],
        starts: list[int] | None = None,
    ) -> list[str]:
        """The rule types of the asserted sentences (`starts`: where each begins, to tell a
        generic sentence; the title, at 0, never is one)."""
        found: dict[str, int] = {}
        evidence: dict[str, str] = {}
        strong_breach = False
        by_start = {s.start_char: s for s in doc_info(doc).sents} if self.generic_kinds else {}

        def scan(text: str, hedged: bool, start: int | None = None) -> None:
            nonlocal strong_breach
            generic: bool | None = None  # read only when a cue of a generic kind matches
            for kind in SCAN_ORDER:
                pattern = self.types.get(kind)
                if pattern is None:
                    continue
                kinds_here: set[str] = set()
                for match in pattern.finditer(text):
                    if hedged and self.locally_hedged(text, match.start(), match.end()):
                        continue
                    if kind in self.generic_kinds and start in by_start:
                        if generic is None:
                            generic = self.is_generic(by_start[start])
                        if generic:
                            break
                    if not self.cue_applies(kind, text, match):
                        continue
                    name = self.account_kind(match.group()) if kind == "account_takeover" else kind
                    if name in kinds_here:
                        continue
                    kinds_here.add(name)
                    found[name] = found.get(name, 0) + 1
                    evidence.setdefault(name, text.strip()[:300])
                    if kind == "data_breach" and self.strong_breach.search(
                        text if not hedged else match.group()
                    ):
                        strong_breach = True
                    if kind != "account_takeover":
                        break

        for index, (text, is_title) in enumerate(asserted):
            scan(text, False, None if is_title or starts is None else starts[index])
        if self.local_hedges:
            for start, text in self.hedged_sentences(doc, analysis):
                scan(text, True, start)
        if not found and self.lead_fallback:
            # Nothing asserted outright: the headline and the lead still say what happened,
            # even when worded cautiously ("a suspected ransomware attack"); a negated
            # sentence ("no data was taken") still does not count.
            for text in self.lead_sentences(doc, analysis):
                for kind in TYPE_ORDER:
                    pattern = self.types.get(kind)
                    if pattern is not None and pattern.search(text):
                        found[kind] = found.get(kind, 0) + 1
                        evidence.setdefault(kind, text.strip()[:300])
                        if kind == "data_breach" and self.strong_breach.search(text):
                            strong_breach = True
        if not found:
            # The actor the article attributes the incident to tells its kind.
            kinds = {self.actor_kind(name) for name in analysis.attackers}
            if "ransomware" in kinds:
                found["ransomware"] = 1
            elif "state" in kinds:
                found["espionage"] = 1
        self.resolve(found, [text for text, _ in asserted])
        analysis.type_evidence = evidence
        types = [kind for kind in TYPE_ORDER if kind in found]
        if "wiper" in types:
            # wipers posing as ransomware; the wiper is the malware (GUIDE.md: malware when not
            # better described by ransomware or wiper)
            types = [t for t in types if t not in {"ransomware", "extortion", "malware"}]
        if "ransomware" in types or "ddos" in types:
            types = [t for t in types if t != "malware"]  # the malware is the ransomware / botnet
        if "ransomware" in types:
            types = [t for t in types if t != "extortion"]
            if "data_breach" in types and not strong_breach:
                types.remove("data_breach")
        return types

    def cue_applies(self, kind: str, text: str, match: re.Match) -> bool:
        """Rare types need their cue to be about this incident, not a neighbouring reading:
        a criminal charge of "wire fraud" or a ransom paid to criminals is not BEC; a
        "nation-state" or "APT" mention is espionage only in a sentence about an intrusion;
        an account cue is a takeover only of users' or public accounts (bank accounts and
        account records are not taken over)."""
        context = self.context.get(f"{kind}_reject")
        if context is not None and context.search(text):
            return False
        if kind == "espionage" and WEAK_ESPIONAGE.search(match.group()):
            return bool(INTRUSION.search(text))
        if kind == "account_takeover":
            matched = match.group().lower()
            if re.search(r"\bbank\b|\brecords?\b|\bdata\b", matched):
                return False
            if re.match(r"(?:gained|gain|obtained|accessed)\b", matched) and not TAKEOVER_EFFECT.search(text):
                # reaching accounts is a breach of their records unless the intruders used them
                return False
            if not STRONG_TAKEOVER.search(matched) and not re.search(
                r"e-?mail|mailbox|office 365|outlook|employee|staff|worker", matched
            ):
                # "took over accounts", "gained access to accounts": whose accounts?
                return bool(
                    ACCOUNT_OWNERS.search(text)
                    or re.search(r"\baccounts? (?:of|belonging to) (?:[A-Z]|\d)", text)
                )
        return True

    @staticmethod
    def account_kind(matched: str) -> str:
        """An account-compromise cue names a takeover of customers' or public accounts, or
        an intrusion into mailboxes ("employee email accounts were accessed"), which breach
        notices report as a data breach, or phishing when the article says phishing."""
        lower = matched.lower()
        if re.search(r"e-?mail|mailbox|office 365|outlook", lower):
            return "mailbox_access"
        if re.search(r"\b(?:employee|staff|worker|executive)s?\b", lower):
            return "staff_account"
        return "account_takeover"

    def resolve(self, found: dict[str, int], texts: list[str]) -> None:
        """Cues whose type depends on the rest of the article. Impersonating an executive or
        supplier is BEC when money was diverted, phishing when data or credentials were
        handed over. A ransom demand is ransomware when files were encrypted or a decryptor
        is mentioned, data extortion otherwise."""
        joined = "\n".join(texts)
        mailbox = found.pop("mailbox_access", 0)
        staff = found.pop("staff_account", 0)
        # staff or mailbox accounts broken into are the organisation's own: a breach (or the
        # phishing that led to it), not a takeover of users' accounts
        if mailbox or staff:
            found.setdefault("data_breach", 1)
        if found.pop("impersonation", 0):
            money = self.context.get("bec_money")
            data = self.context.get("phishing_data")
            if money is not None and money.search(joined):
                found.setdefault("bec", 1)
            elif data is not None and data.search(joined):
                found.setdefault("phishing", 1)
        if "bec" in found:
            # business email compromise is money or payments diverted by impersonation: with
            # no payment, invoice or transfer anywhere in the article, the cue was a mention
            money = self.context.get("bec_money")
            if money is not None and not money.search(joined):
                del found["bec"]
        if "bec" in found and "phishing" in found and not re.search(r"phish", joined, re.IGNORECASE):
            del found["phishing"]  # the fraudulent email was the BEC lure
        if "extortion" in found and "ransomware" not in found:
            context = self.context.get("ransomware_context")
            ransom = re.search(r"\bransom\b", joined, re.IGNORECASE)
            if ransom and context is not None and context.search(joined):
                found["ransomware"] = 1

    def lead_sentences(self, doc: Doc, analysis: DocAnalysis, n_body: int = 3) -> list[str]:
        """The title and the first body sentences, quotes by others and negations left out."""
        t_end = title_end(doc)
        info = doc_info(doc)
        neg = doc.vocab.strings["neg"]
        result = []
        if t_end:
            result.append(info.text[:t_end])
        for sent in own_body_sentences(doc, analysis, t_end):
            if len(result) > n_body:
                break
            if (info.dep[sent.start : sent.end] == neg).any():
                continue
            result.append(masked_text(sent))
        return result

    @staticmethod
    def actor_kind(name: str) -> str | None:
        from core.gazetteers import THREAT_ACTOR, load_gazetteer

        entries = [e for e in load_gazetteer().lookup(name, THREAT_ACTOR) if e.name == name]
        return (entries[0].kind or "").lower() if entries else None

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        analysis = doc_analysis(doc)
        sentences = self.asserted_sentences(doc, analysis)
        doc.user_data[ASSERTED_KEY] = sentences  # for incident_learned, which removes them
        asserted = [(text, is_title) for _start, text, is_title in sentences]
        is_incident, score, features = self.detect(doc, analysis, asserted)
        analysis.is_incident = is_incident
        analysis.incident_score = round(score, 2)
        analysis.incident_features = features
        analysis.type_cues = self.classify(
            doc, analysis, asserted, [start for start, _text, _is_title in sentences]
        )
        analysis.incident_types = (analysis.type_cues or ["unspecified"]) if is_incident else []
        return doc


@Language.factory(
    "incident_classifier",
    default_config={
        "threshold": 3.0,
        "lead_fallback": False,
        "local_hedges": True,
        "hedge_before": 60,
        "hedge_after": 25,
    },
)
def make_incident_classifier(
    nlp: Language,
    name: str,
    threshold: float,
    lead_fallback: bool,
    local_hedges: bool,
    hedge_before: int,
    hedge_after: int,
) -> IncidentClassifier:
    return IncidentClassifier(nlp, name, threshold, lead_fallback, local_hedges, hedge_before, hedge_after)
