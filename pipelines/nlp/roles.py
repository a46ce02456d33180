"""The `incident_roles` component: which organisation is the victim, which are not.

An article names many organisations; the victim is the one the grammar puts on the receiving
end of the incident ("X was hit by", "attack on X", "X's systems", "X disclosed a breach"),
that the title names, and that the lead and the rest of the text keep coming back to.
Commentators' employers ("Jane Doe, CEO of Y"), security vendors ("security firm Z"),
agencies, attackers and publishers get their own role. Mentions of the same organisation
("Royal Mail Group", "Royal Mail") are clustered under one display name.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.tokens import Doc, Span, Token

from core.countries import country_code
from core.gazetteers import AGENCY, THREAT_ACTOR, VENDOR
from core.names import clean_name, is_acronym, name_key
from pipelines.nlp.cues import load_cues
from pipelines.nlp.guard import guarded
from pipelines.nlp.state import doc_analysis
from pipelines.nlp.text import NOT_ORG, doc_info, is_past, only_earlier_years, word_ids

# doc.user_data key of the clusters (Span objects: they never leave the process)
CLUSTERS_KEY = "incident_clusters"

SPEAKER_NOUNS = {"spokesperson", "spokesman", "spokeswoman", "spokespeople", "representative", "statement"}
VENDOR_BEFORE = re.compile(
    r"(?:security|cybersecurity|cyber-security|cyber security|infosec|antivirus|anti-virus|anti-malware|"
    r"threat[- ]intelligence|threat|forensics?|research|intelligence|consultancy|consulting|identity|"
    r"email security|endpoint|network security|cloud security|application security)\s+"
    r"(?:firm|firms|company|companies|vendor|vendors|provider|providers|researchers?|outfit|specialist|"
    r"specialists|giant|maker|startup|start-up|lab|labs|team|group|expert|experts|house|business|"
    r"shop|analysts?|company's|firm's)\s*(?:,\s*)?(?:at\s+|from\s+|of\s+|with\s+)?$",
    re.IGNORECASE,
)
RESEARCHER_BEFORE = re.compile(
    r"(?:researchers?|analysts?|experts?|investigators?|scientists?|hunters?)\s+(?:at|from|with|of)\s+$",
    re.IGNORECASE,
)
VENDOR_AFTER = re.compile(
    r"^\s*(?:,|\()\s*(?:a|an|the)\s+(?:[\w-]+\s+){0,4}?"
    r"(?:security|cybersecurity|cyber-security|infosec|antivirus|anti-virus|threat|forensics?|"
    r"research|intelligence|consultancy|consulting)\b",
    re.IGNORECASE,
)
ATTACKER_BEFORE = re.compile(
    r"(?:group|gang|hackers?|crew|collective|actors?|operators?)\s+(?:known as|calling (?:itself|themselves)|"
    r"dubbed|called|named|tracked as)\s+$",
    re.IGNORECASE,
)
# Verbs of finding and attributing, and what a researcher finds: the subject is reporting on
# someone else's incident ("Microsoft found destructive malware on government systems").
FINDER_VERBS = {
    "find",
    "finds",
    "found",
    "discover",
    "discovers",
    "discovered",
    "uncover",
    "uncovers",
    "uncovered",
    "spot",
    "spots",
    "spotted",
    "observe",
    "observes",
    "observed",
    "identify",
    "identifies",
    "identified",
    "track",
    "tracks",
    "tracked",
    "attribute",
    "attributes",
    "attributed",
    "link",
    "links",
    "linked",
    "analyse",
    "analysed",
    "analyze",
    "analyzed",
    "detail",
    "details",
    "detailed",
    "document",
    "documented",
    "publish",
    "published",
    "dub",
    "dubbed",
    "name",
    "named",
    "blame",
    "blames",
    "blamed",
}
SAY_VERBS = {
    "say",
    "says",
    "said",
    "report",
    "reports",
    "reported",
    "warn",
    "warns",
    "warned",
    "write",
    "wrote",
    "writes",
}
THREAT_NOUNS = {
    "malware",
    "wiper",
    "trojan",
    "backdoor",
    "spyware",
    "botnet",
    "campaign",
    "campaigns",
    "group",
    "groups",
    "hackers",
    "actor",
    "actors",
    "operation",
    "operations",
    "implant",
    "variant",
    "strain",
    "family",
    "flaw",
    "flaws",
    "vulnerability",
    "vulnerabilities",
    "bug",
    "bugs",
    "exploit",
    "exploits",
    "samples",
    "ransomware",
    "worm",
    "loader",
}
# What a victim discovers about itself ("discovered the breach", "detected unauthorized access").
INCIDENT_OBJECTS = {
    "breach",
    "breaches",
    "intrusion",
    "intrusions",
    "attack",
    "attacks",
    "incident",
    "access",
    "compromise",
    "activity",
    "theft",
    "hack",
    "leak",
    "exposure",
    "infection",
}
# "used by X", "owned by X", "belonging to X": X owns the thing, it did not act on it.
OWNER_VERBS = {
    "used",
    "owned",
    "operated",
    "run",
    "managed",
    "maintained",
    "hosted",
    "belonging",
    "belongs",
    "developed",
    "made",
    "built",
    "provided",
    "offered",
    "sold",
    "published",
    "distributed",
}
ENFORCEMENT_WORDS = {
    "police",
    "investigators",
    "authorities",
    "officers",
    "officials",
    "prosecutors",
    "agents",
    "detectives",
    "law",
    "enforcement",
    "fbi",
    "europol",
    "interpol",
    "nca",
    "doj",
}
OWN_WORDS = {"its", "our", "we", "own", "itself"}
MONTHS_AND_DAYS = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
}
# "a flaw in X", "the X zero-day": X is a product, not the organisation that was attacked.
PRODUCT_NOUNS = {
    "vulnerability",
    "vulnerabilities",
    "flaw",
    "flaws",
    "bug",
    "bugs",
    "zero-day",
    "zero-days",
    "0-day",
    "exploit",
    "exploits",
    "patch",
    "patches",
    "update",
    "updates",
    "version",
    "versions",
    "software",
    "product",
    "products",
    "plugin",
    "plug-in",
    "extension",
    "firmware",
    "app",
    "apps",
    "cve",
    "weakness",
    "hole",
    "holes",
    "loophole",
}
ORG_SUFFIX = re.compile(
    r"\b(?:Inc|Corp|Corporation|Ltd|LLC|plc|Group|Holdings|Bank|Bancorp|Airlines?|Airways|Hospital|"
    r"University|College|Technologies|Systems|Dynamics|Metals|Industries|Motors|Pharmaceuticals?|"
    r"Healthcare|Health|Insurance|Financial|Partners|Software|Labs|Networks|Communications|Telecom|"
    r"Energy|Utilities|Foods|Stores|Entertainment|Media|Hotels?|Resorts?|Council|County|City|"
    r"Department|Ministry|Agency|Authority|Services|Solutions|Enterprises|Capital|Trust|Foundation|"
    r"Association|Institute|School|District|Clinic|Exchange)\.?$"
)
ORG_DESCRIPTORS = {
    "maker",
    "makers",
    "contractor",
    "exchange",
    "retailer",
    "lender",
    "insurer",
    "operator",
    "provider",
    "chain",
    "platform",
    "giant",
    "firm",
    "company",
    "startup",
    "manufacturer",
    "supplier",
    "carrier",
    "broker",
    "processor",
    "developer",
    "publisher",
    "network",
    "service",
}
PROPN_ID = POS_IDS["PROPN"]
NUMERIC_ENTS = {"", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}
CANDIDATE_LABELS = {"ORG"}
WEAK_LABELS = {"GPE", "FAC", "PRODUCT", "NORP", "WORK_OF_ART", "PERSON", "LOC", "EVENT"}
WEAK_SUBJECT_VERBS = {
    "say",
    "says",
    "said",
    "is",
    "was",
    "become",
    "became",
    "report",
    "reports",
    "reported",
    "announce",
    "announces",
    "announced",
    "warn",
    "warns",
    "warned",
    "begin",
    "began",
    "start",
    "started",
    "send",
    "sent",
    "urge",
    "urges",
    "urged",
}


@dataclass
class Cluster:
    """One organisation and everything the text says about it."""

    key: str
    forms: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    role: str = "other"
    canonical: str | None = None
    country: str | None = None
    mentions: list[Span] = field(default_factory=list)
    score: float = 0.0
    strong: float = 0.0
    negative: float = 0.0
    in_title: bool = False
    first_sentence: int = 10**6
    evidence: list[str] = field(default_factory=list)
    cues: dict[int, tuple[float, str]] = field(default_factory=dict)  # mention start -> victim_cue

    @property
    def name(self) -> str:
        if self.canonical:
            return self.canonical
        best, count = max(self.forms.items(), key=lambda item: (item[1], -len(item[0])))
        # the recogniser cuts the front off names ("Mobile" of "T-Mobile", "Boshoku" of "Toyota
        # Boshoku"): a form that ends with the best one and is used about as often wins
        for form, n in sorted(self.forms.items(), key=lambda item: -len(item[0])):
            if (
                n >= count - 1
                and len(form) > len(best)
                and form.endswith(best)
                and form[-len(best) - 1] in " -"
            ):
                return form
        return best


def title_end(doc: Doc) -> int:
    """Character offset where the title (first paragraph) ends; 0 when there is no title."""
    value = doc._.title_end if Doc.has_extension("title_end") else None
    return int(value or 0)


def sentence_has_incident(sent: Span, words: frozenset[str]) -> bool:
    return any(t.lower_ in words for t in sent)


class RoleAssigner:
    """Clusters organisation mentions and scores each as the incident's victim."""

    def __init__(
        self, nlp: Language, name: str, min_victim_score: float, relative_cutoff: float, max_victims: int
    ):
        self.name = name
        self.min_victim_score = min_victim_score
        self.relative_cutoff = relative_cutoff
        self.max_victims = max_victims
        self.tokenizer = nlp.tokenizer
        cues = load_cues()
        self.victim = cues["victim"]
        self.roles = cues["roles"]
        self.incident_words = cues["incident"]["words"] | cues["incident"]["title_words"]
        self.publishers = set(cues["roles"]["publishers"])

    # -- clustering -------------------------------------------------------------------------
    def collect(self, doc: Doc) -> list[Cluster]:
        gaz_spans = [s for s in doc.spans.get("gazetteer", []) if s.label_ in {AGENCY, THREAT_ACTOR, VENDOR}]
        clusters: dict[str, Cluster] = {}

        def cluster_for(key: str) -> Cluster:
            if key not in clusters:
                clusters[key] = Cluster(key)
            return clusters[key]

        covered: set[int] = set()
        for span in gaz_spans:
            role = {AGENCY: "agency", THREAT_ACTOR: "attacker", VENDOR: "vendor"}[span.label_]
            cluster = cluster_for(f"{role}:{span.kb_id_}")
            cluster.role = role
            cluster.canonical = span.kb_id_
            cluster.forms[span.text] += 1
            cluster.labels[span.label_] += 1
            cluster.mentions.append(span)
            covered.update(range(span.start, span.end))
        t_end = title_end(doc)
        for ent in full_name_spans(doc, doc_info(doc).ents):
            if ent.label_ not in CANDIDATE_LABELS | WEAK_LABELS:
                continue
            if any(i in covered for i in range(ent.start, ent.end)):
                continue
            name = clean_name(ent.text)
            if not name or NOT_ORG.match(name) or len(name) < 2:
                continue
            if ent.label_ in {"GPE", "NORP", "LOC"} and country_code(ent.text):
                continue
            if ent.start_char < t_end:
                continue  # title-case headlines fool the NER; titles are matched by name below
            key = name.lower()
            cluster = cluster_for(key)
            cluster.forms[name] += 1
            cluster.labels[ent.label_] += 1
            cluster.mentions.append(ent)
        for span in self.unlabelled_names(doc, covered, t_end):
            name = clean_name(span.text)
            cluster = cluster_for(name.lower())
            cluster.forms[name] += 1
            cluster.labels["PROPN"] += 1
            cluster.mentions.append(span)
        merged = self.merge([c for c in clusters.values() if c.role == "other"])
        special = [c for c in clusters.values() if c.role != "other"]
        result = special + merged
        for cluster in merged:
            lower = cluster.name.lower()
            if lower in self.publishers or f"the {lower}" in self.publishers:
                cluster.negative += 3.0
                cluster.evidence.append("publisher")
        self.add_unlabelled_mentions(doc, merged, special)
        return result

    @staticmethod
    def unlabelled_names(doc: Doc, covered: set[int], t_end: int) -> list[Span]:
        """Proper-noun runs the NER left unlabelled ("23andMe", "MyFitnessPal"): the small
        model misses many company names, and a victim it misses is a victim lost."""
        info = doc_info(doc)
        numeric = np.array(
            [doc.vocab.strings[label] if label else 0 for label in NUMERIC_ENTS], dtype="uint64"
        )
        mask = (info.pos == PROPN_ID) & np.isin(info.ent_type, numeric)
        # "T-Mobile", "Marks & Spencer": a hyphen written without spaces, or "&", between
        # two proper nouns belongs to the name
        for index in np.nonzero(mask[:-2] & mask[2:])[0]:
            joiner = doc[int(index) + 1]
            if joiner.text in {"-", "&"} and (
                joiner.text == "&" or (not doc[int(index)].whitespace_ and not joiner.whitespace_)
            ):
                mask[int(index) + 1] = True
        spans: list[Span] = []
        start: int | None = None
        end = 0
        for index in [int(i) for i in np.nonzero(mask)[0]] + [-2]:
            usable = (
                index >= 0
                and index not in covered
                and doc[index].idx >= t_end
                and (any(ch.isalpha() for ch in doc[index].text) or doc[index].text in {"-", "&"})
            )
            if start is not None and (not usable or index != end):
                spans.append(doc[start:end])
                start = None
            if usable:
                if start is None:
                    start = index
                end = index + 1
        result = []
        for span in spans:
            text = span.text
            if len(span) > 4 or NOT_ORG.match(clean_name(text)) or text.lower() in MONTHS_AND_DAYS:
                continue
            if country_code(text) or (
                span[0].is_sent_start
                and len(span) == 1
                and text.istitle()
                and not any(c.isupper() for c in text[1:])
            ):
                continue
            result.append(span)
        return result

    @staticmethod
    def merge(clusters: list[Cluster]) -> list[Cluster]:
        """Merge clusters whose names contain one another or are an acronym of one another."""
        ordered = sorted(clusters, key=lambda c: -sum(c.forms.values()))
        result: list[Cluster] = []
        for cluster in ordered:
            target = None
            for existing in result:
                if cluster_names_match(existing, cluster):
                    target = existing
                    break
            if target is None:
                result.append(cluster)
                continue
            target.forms.update(cluster.forms)
            target.labels.update(cluster.labels)
            target.mentions.extend(cluster.mentions)
        return result

    def add_unlabelled_mentions(self, doc: Doc, clusters: list[Cluster], special: list[Cluster]) -> None:
        """Find every occurrence of each cluster's names, including those the NER missed."""
        matcher = PhraseMatcher(doc.vocab, attr="ORTH")
        by_id: dict[str, Cluster] = {}
        for index, cluster in enumerate(clusters):
            label = f"c{index}"
            by_id[label] = cluster
            matcher.add(label, [self.tokenizer(form) for form in cluster.forms])
        known = {(m.start, m.end) for c in clusters for m in c.mentions}
        reserved = {i for c in special for m in c.mentions for i in range(m.start, m.end)}
        for match_id, start, end in matcher(doc):
            if (start, end) in known or start in reserved:
                continue
            cluster = by_id[doc.vocab.strings[match_id]]
            cluster.mentions.append(doc[start:end])
        for cluster in clusters:
            cluster.mentions.sort(key=lambda s: s.start)

    # -- scoring ----------------------------------------------------------------------------
    def score(self, doc: Doc, clusters: list[Cluster]) -> None:
        t_end = title_end(doc)
        info = doc_info(doc)
        title = info.text[:t_end]
        body_sents = [s for s in info.sents if s.start_char >= t_end]
        lead_limit = body_sents[1].end_char if len(body_sents) > 1 else len(info.text)
        sent_index = {s.start: i for i, s in enumerate(body_sents)}
        for cluster in clusters:
            if cluster.role not in {"other", "vendor"}:
                continue
            if title and any(title_finder(form, title) for form in cluster.forms):
                cluster.negative += 3.0
                cluster.evidence.append("title-finder")
            elif title and any(title_source(form, title) for form in cluster.forms):
                cluster.evidence.append("title-source")  # "..., NHS England says": who tells, not who was hit
            elif title and any(form_in_text(form, title) for form in cluster.forms):
                cluster.in_title = True
                cluster.score += 3.0
                cluster.evidence.append("title")
            elif title and any(
                form_in_text(first_word(form), title) for form in cluster.forms if first_word(form)
            ):
                cluster.score += 1.5
                cluster.evidence.append("title-partial")
            body_mentions = [m for m in cluster.mentions if m.start_char >= t_end]
            if not body_mentions and not cluster.in_title:
                continue
            if any(m.start_char < lead_limit for m in body_mentions):
                cluster.score += 1.5
                cluster.evidence.append("lead")
            cluster.score += min(0.5 * max(len(body_mentions) - 1, 0), 2.0)
            for mention in body_mentions:
                cluster.first_sentence = min(
                    cluster.first_sentence, sent_index.get(info.sent(mention).start, 10**6)
                )
                value, why = self.victim_cue(mention)
                cluster.cues[mention.start] = (value, why)
                if value > 0 and is_past(info.sent(mention)):
                    value *= 0.4
                if value > 0:
                    cluster.strong += value
                    cluster.evidence.append(why)
                elif value < 0:
                    cluster.negative += -value
                    cluster.evidence.append(why)
            cluster.score += min(cluster.strong, 6.0) - min(cluster.negative, 8.0)
            if any(self.has_org_descriptor(m) for m in body_mentions):
                cluster.labels["ORG"] += 1
                cluster.evidence.append("descriptor")
            if (
                cluster.labels
                and not cluster.labels.get("ORG")
                and cluster.strong < 2.5
                and not cluster.in_title
            ):
                cluster.score = min(cluster.score, 0.0)
            if set(cluster.labels) == {"PROPN"} and cluster.strong <= 0:
                cluster.score = min(cluster.score, 0.0)
            if (
                cluster.labels.get("PERSON", 0) > cluster.labels.get("ORG", 0)
                and len(cluster.name.split()) >= 2
                and "descriptor" not in cluster.evidence
                and not ORG_SUFFIX.search(cluster.name)
            ):
                cluster.role = "person"
            if not_an_organisation(cluster):
                cluster.score = min(cluster.score, -1.0)
                cluster.evidence.append("not-an-organisation")

    def incident_sentence(self, sent: Span) -> bool:
        cache = sent.doc.user_data.setdefault("incident_sentences", {})
        if sent.start not in cache:
            cache[sent.start] = doc_info(sent.doc).has_any(sent, word_ids(self.incident_words))
        return cache[sent.start]

    @staticmethod
    def enforcement_agent(verb: Token) -> bool:
        """Is the one acting police or another law-enforcement body (subject, or "by" agent)?"""
        agents = [c for c in verb.children if c.dep_ in {"nsubj", "agent"}]
        agents += [g for a in agents if a.dep_ == "agent" for g in a.children if g.dep_ == "pobj"]
        spans = verb.doc.spans.get("gazetteer", [])
        for agent in agents:
            if agent.lower_ in ENFORCEMENT_WORDS:
                return True
            if any(s.label_ == AGENCY and s.start <= agent.i < s.end for s in spans):
                return True
        return False

    @staticmethod
    def reports_on_others(verb: Token) -> bool:
        """ "Microsoft found destructive malware on government systems", "X said it had
        identified a new campaign", "X attributed the attack to ...": the subject is a researcher
        or vendor reporting on someone else's incident, not the victim. A finding about its own
        systems ("X discovered malware on its network") is the victim's own disclosure."""
        lower = verb.lower_
        if lower in SAY_VERBS:
            for child in verb.children:
                if child.dep_ in {"ccomp", "xcomp"} and child.lower_ in FINDER_VERBS:
                    subjects = [c for c in child.children if c.dep_ == "nsubj"]
                    if not subjects or subjects[0].lower_ in {"it", "they", "researchers", "analysts"}:
                        verb = child
                        lower = child.lower_
                        break
            else:
                return False
        if lower not in FINDER_VERBS:
            return False
        objects = [c for c in verb.children if c.dep_ in {"dobj", "obj", "ccomp"}]
        if any(
            o.lower_ in INCIDENT_OBJECTS
            or any(c.lower_ in INCIDENT_OBJECTS for c in o.children if c.dep_ == "compound")
            for o in objects
        ):
            return False  # "Marriott discovered the breach": its own incident
        tree = [t for t in verb.subtree]
        words = {t.lower_ for t in tree}
        if words & OWN_WORDS:
            return False
        return bool(words & THREAT_NOUNS)

    def has_org_descriptor(self, span: Span) -> bool:
        """ "parts maker Corwin Metals", "Binance, a cryptocurrency exchange", "Acme Inc":
        the text itself says this name is an organisation, whatever label the NER gave it."""
        if ORG_SUFFIX.search(span.text):
            return True
        root = span.root
        generic = self.victim["generic_org_nouns"] | ORG_DESCRIPTORS
        for child in root.children:
            if (
                child.i < span.start
                and child.dep_ in {"compound", "amod", "nmod"}
                and child.lower_ in generic
            ):
                return True
            if child.dep_ == "appos" and child.lower_ in generic:
                return True
        if root.dep_ == "appos" and root.head.lower_ in generic:
            return True
        if span.start > 0 and span.doc[span.start - 1].lower_ in generic:
            return True
        return False

    def anaphora(self, doc: Doc) -> float:
        """Victim evidence carried by "the company", "the postal service" or "it": it belongs to
        the organisation the article is about, whichever that turns out to be."""
        t_end = title_end(doc)
        total = 0.0
        generic = self.victim["generic_org_nouns"]
        info = doc_info(doc)
        for index in info.where(0, len(doc), word_ids(generic | {"it"})):
            token = doc[int(index)]
            if token.idx < t_end or token.ent_type_:
                continue
            lower = token.lower_
            if lower == "it" and token.dep_ in {"nsubj", "nsubjpass"}:
                pass
            elif lower in generic and any(
                c.lower_ in {"the", "this"} or c.dep_ == "poss" for c in token.children
            ):
                pass
            else:
                continue
            value, _why = self.victim_cue(doc[token.i : token.i + 1], named=False)
            if value >= 2.0 and not is_past(doc_info(doc).sent(token)):
                total += value
        return total

    def victim_cue(self, span: Span, named: bool = True) -> tuple[float, str]:
        """Grammatical evidence that this mention is (positive) or is not (negative) a victim."""
        doc = span.doc
        info = doc_info(doc)
        sent = info.sent(span)
        before = info.text[max(sent.start_char, span.start_char - 60) : span.start_char]
        after = info.text[span.end_char : min(sent.end_char, span.end_char + 80)]
        if VENDOR_BEFORE.search(before) or RESEARCHER_BEFORE.search(before) or VENDOR_AFTER.search(after):
            return -4.0, "vendor-descriptor"
        if ATTACKER_BEFORE.search(before):
            return -6.0, "attacker-name"
        root = span.root
        token = root
        # climb through flat name structure and conjunctions ("X and Y were hit")
        while token.dep_ in {"conj", "appos"} and token.head != token:
            token = token.head
        dep, head = token.dep_, token.head
        incident_sentence = self.incident_sentence(sent)
        head_lower = head.lower_
        if dep in {"compound", "poss", "nmod", "amod"} and head_lower in PRODUCT_NOUNS:
            return -3.0, f"product:{head_lower}"
        if dep == "compound" or dep == "poss" or dep == "nmod":
            if head_lower in self.roles["commentator_titles"] and head_lower not in SPEAKER_NOUNS:
                return -4.0, f"employer:{head_lower}"
            if head_lower in SPEAKER_NOUNS:
                return 0.5, "spokesperson"
            if head_lower in self.victim["possessed_nouns"] and incident_sentence:
                return 2.0, f"possessive:{head_lower}"
            if head_lower in self.victim["incident_nouns"] and incident_sentence:
                return 2.5, f"compound:{head_lower}"
            return 0.0, ""
        if dep == "pobj":
            prep = head
            governor = prep.head
            # "sites were hit, including those of X": "those" stands for the harmed thing
            if prep.lower_ == "of" and governor.lower_ in {"those", "that"} and governor.dep_ == "pobj":
                prep, governor = governor.head, governor.head.head
            g_lower = governor.lower_
            p_lower = prep.lower_
            # "... were hit, including X and Y"
            if p_lower == "including" and named:
                anchor = governor
                if (
                    incident_sentence
                    and (
                        anchor.lower_ in self.victim["passive_verbs"]
                        or anchor.lower_ in self.victim["incident_nouns"]
                        or anchor.lower_
                        in {
                            "organisations",
                            "organizations",
                            "companies",
                            "firms",
                            "victims",
                            "sites",
                            "institutions",
                            "agencies",
                            "businesses",
                            "hospitals",
                            "banks",
                            "retailers",
                        }
                    )
                    and not is_past(sent)
                ):
                    return 2.5, f"{anchor.lower_} including"
            if (
                p_lower in {"by", "to"}
                and g_lower in OWNER_VERBS
                and governor.head.lower_ in self.victim["possessed_nouns"]
                and incident_sentence
                and (p_lower == "by" or g_lower.startswith("belong"))
            ):
                # "hackers compromised a server used by X", "systems belonging to X"
                return 2.0, f"{governor.head.lower_} {g_lower} {p_lower}"
            if (
                p_lower == "by"
                and g_lower not in OWNER_VERBS
                and (governor.tag_ == "VBN" or g_lower in self.victim["passive_verbs"])
            ):
                return -3.0, "agent"
            if (
                p_lower in {"at", "of", "with", "from", "for"}
                and g_lower in self.roles["commentator_titles"]
                and g_lower not in SPEAKER_NOUNS
            ):
                return -4.0, f"employer:{g_lower}"
            if p_lower == "for" and g_lower in SPEAKER_NOUNS:
                return 0.5, "spokesperson"
            if p_lower in {"in", "of", "for", "affecting"} and g_lower in PRODUCT_NOUNS:
                return -3.0, f"product:{g_lower}"
            if p_lower == "to" and g_lower == "according":
                return -0.5, "source"
            if p_lower in {
                "on",
                "at",
                "of",
                "against",
                "from",
                "targeting",
                "affecting",
                "in",
                "inside",
                "within",
                "into",
            }:
                if g_lower in self.victim["incident_nouns"] and incident_sentence:
                    return 3.0, f"{g_lower} {p_lower}"
                if g_lower in self.victim["passive_verbs"] and p_lower in {"from", "at", "on", "into"}:
                    return 2.5, f"{g_lower} {p_lower}"
            return 0.0, ""
        if (
            dep in {"nsubjpass", "dobj", "obj"}
            and head_lower in self.victim["passive_verbs"]
            and self.enforcement_agent(head)
        ):
            # "investigators took the site offline", "servers were seized by police": the
            # target of a takedown, not the victim of an attack
            return -1.0, f"enforcement:{head_lower}"
        if dep == "nsubjpass" and head_lower in self.victim["passive_verbs"]:
            return 3.5, f"was {head_lower}"
        if dep in {"dobj", "obj"} and head_lower in self.victim["passive_verbs"] and incident_sentence:
            return 3.0, f"{head_lower} X"
        if dep == "nsubj" and self.reports_on_others(head):
            return -3.5, f"finder:{head_lower}"
        if dep == "nsubj":
            if (
                head_lower in self.victim["passive_verbs"]
                and head.tag_ in {"VBD", "VBZ", "VBP"}
                and head_lower not in {"hit", "exposed", "leaked", "lost"}
            ):
                return -1.0, f"X {head_lower}"
            if head_lower in {"victim"} or any(
                c.lower_ in {"victim", "victims", "target"}
                for c in head.children
                if c.dep_ in {"attr", "dobj"}
            ):
                return 3.5, "victim"
            if head_lower in self.victim["subject_verbs"] and incident_sentence:
                if head_lower in WEAK_SUBJECT_VERBS:
                    clause = [t for t in head.subtree if not (token.left_edge.i <= t.i <= token.right_edge.i)]
                    if any(t.lower_ in self.incident_words for t in clause):
                        if any(
                            t.ent_type_ == "ORG"
                            and t.pos_ == "PROPN"
                            and t.dep_ == "pobj"
                            and (
                                t.head.head.lower_ in self.incident_words
                                or t.head.head.lower_ in self.victim["incident_nouns"]
                                or t.head.head.lower_ in self.victim["passive_verbs"]
                            )
                            for t in clause
                        ):
                            # "NHS England said data stolen from Synnovis was published": the
                            # speaker tells of another organisation's incident
                            return 0.5, f"X {head_lower} (about another)"
                        return 2.0, f"X {head_lower} (incident)"
                    # "Rabobank said its website was briefly unreachable": its own harmed thing
                    if any(
                        t.lower_ in {"its", "their", "our"}
                        and t.dep_ == "poss"
                        and t.head.lower_ in self.victim["possessed_nouns"]
                        for t in clause
                    ):
                        return 2.0, f"X {head_lower} (its own)"
                    return 1.0, f"X {head_lower}"
                return 2.5, f"X {head_lower}"
            if head_lower in self.victim["passive_verbs"] and incident_sentence:
                return 1.5, f"X {head_lower}"
        return 0.0, ""

    @guarded
    def __call__(self, doc: Doc) -> Doc:
        analysis = doc_analysis(doc)
        clusters = self.collect(doc)
        self.score(doc, clusters)
        # A security vendor is a victim only when the headline names it and the grammar puts
        # it on the receiving end ("Avast hit by breach"), not for what it says about others.
        candidates = [
            c
            for c in clusters
            if c.score > 0
            and (
                c.role == "other"
                or (c.role == "vendor" and c.in_title and c.strong >= 3.0 and c.strong > c.negative)
            )
        ]
        candidates.sort(key=lambda c: (-c.score, c.first_sentence))
        if candidates:
            extra = min(self.anaphora(doc), 3.0)
            if extra:
                candidates[0].score += extra
                candidates[0].strong += extra
                candidates[0].evidence.append(f"anaphora:{extra}")
        victims: list[Cluster] = []
        if candidates and candidates[0].score >= self.min_victim_score:
            top = candidates[0].score
            for cluster in candidates:
                if len(victims) >= self.max_victims:
                    break
                grammar = (
                    cluster.strong >= 2.5
                    or (cluster.in_title and cluster.strong >= 1.0)
                    or (cluster.strong >= 2.0 and cluster.score >= 0.8 * top)
                )  # as good evidence as the first
                if cluster is candidates[0] or (
                    cluster.score >= self.relative_cutoff * top
                    and grammar
                    and cluster.score >= self.min_victim_score
                ):
                    victims.append(cluster)
        for cluster in victims:
            cluster.role = "victim"
        analysis.clusters = [
            {
                "name": c.name,
                "role": c.role,
                "score": round(c.score, 2),
                "strong": round(c.strong, 2),
                "evidence": c.evidence[:12],
                "forms": sorted(c.forms),
                "labels": dict(c.labels),
            }
            for c in sorted(clusters, key=lambda c: -c.score)
        ]
        analysis.victims = [c.name for c in victims]
        analysis.victim_forms = sorted({f for c in victims for f in c.forms})
        analysis.victim_score = (
            round(victims[0].score, 2) if victims else round(candidates[0].score, 2) if candidates else 0.0
        )
        analysis.victim_strong = round(victims[0].strong, 2) if victims else 0.0
        analysis.attackers = unique(
            [
                c.name
                for c in clusters
                if c.role == "attacker" and not self.is_malware(c.name) and self.about_this_incident(doc, c)
            ]
        )
        analysis.agencies = [
            {
                "name": c.name,
                "alias": sorted(c.forms, key=len)[0],
                "country": self.agency_entry(c)[0],
                "kind": self.agency_entry(c)[1],
            }
            for c in clusters
            if c.role == "agency"
        ]
        analysis.organisations = unique(
            [
                c.name
                for c in sorted(clusters, key=lambda c: min((m.start for m in c.mentions), default=0))
                if c.role in {"victim", "other", "vendor", "publisher"}
                and c.labels.get("ORG", 0) + c.labels.get(VENDOR, 0) > 0
            ]
        )
        mentions = []
        info = doc_info(doc)
        for cluster in clusters:
            role = {"victim": "victim", "agency": "agency", "attacker": "attacker", "vendor": "vendor"}.get(
                cluster.role, "other"
            )
            label = cluster.labels.most_common(1)[0][0] if cluster.labels else "ORG"
            for mention in cluster.mentions:
                mentions.append(
                    (
                        mention.start_char,
                        {
                            "text": mention.text,
                            "label": label,
                            "role": role,
                            "sentence": info.span_text(info.sent(mention)).strip()[:600],
                            "name": cluster.name,
                        },
                    )
                )
        mentions.sort(key=lambda item: item[0])
        analysis.mentions = [m for _, m in mentions]
        doc.user_data.pop("incident_sentences", None)
        doc.user_data[CLUSTERS_KEY] = clusters  # for incident_learned, which removes them
        return doc

    @staticmethod
    def about_this_incident(doc: Doc, cluster: Cluster) -> bool:
        """An actor counts when named in the title or in a sentence about now, not only as a
        past example ("the group behind last year's attack on ...")."""
        t_end = title_end(doc)
        info = doc_info(doc)
        return any(m.start_char < t_end or not only_earlier_years(info.sent(m)) for m in cluster.mentions)

    @staticmethod
    def is_malware(name: str) -> bool:
        """Malware families and tools (NotPetya, Cobalt Strike) are not attackers."""
        from core.gazetteers import load_gazetteer

        entries = [e for e in load_gazetteer().lookup(name, THREAT_ACTOR) if e.name == name]
        return bool(entries) and all((e.kind or "").lower() in {"malware", "tool", "botnet"} for e in entries)

    def agency_entry(self, cluster: Cluster) -> tuple[str | None, str | None]:
        """(country, kind) of an agency from its gazetteer entry."""
        from core.gazetteers import load_gazetteer

        for entry in load_gazetteer().lookup(cluster.name, AGENCY):
            if entry.name == cluster.name:
                return entry.country, entry.kind
        return None, None


def cluster_names_match(a: Cluster, b: Cluster) -> bool:
    for fa in a.forms:
        for fb in b.forms:
            ka, kb = name_key(fa), name_key(fb)
            if not ka or not kb:
                continue
            if ka == kb:
                return True
            short, long_ = sorted((ka, kb), key=len)
            if len(short) >= 3 and f" {short} " in f" {WORD_SPLIT.sub(' ', long_)} ":
                return True
            if is_acronym(fa, fb) or is_acronym(fb, fa):
                return True
    return False


WORD_SPLIT = re.compile(r"[^\w&]+")


NAME_JOINERS = {"-", "&"}
# Head words of institutions named "X of/for Place" ("Transport for London", "City of Atlanta").
INSTITUTION_WORDS = {
    "Transport",
    "Bank",
    "University",
    "Department",
    "Ministry",
    "Office",
    "Board",
    "City",
    "County",
    "Council",
    "Government",
    "State",
    "Port",
    "College",
    "School",
    "Institute",
    "Museum",
    "Library",
    "Bureau",
    "Commission",
    "Authority",
    "Agency",
    "Corporation",
    "Society",
    "Hospital",
    "Hospitals",
    "Centre",
    "Center",
    "Trust",
    "Transit",
    "Transportation",
    "Town",
    "Village",
    "Municipality",
    "Province",
    "Republic",
    "Kingdom",
    "Archdiocese",
    "Diocese",
    "District",
    "Court",
    "Parliament",
    "Assembly",
    "Senate",
    "Police",
    "Airport",
    "Federation",
    "Union",
    "League",
    "Academy",
}
ADJECTIVAL = re.compile(
    r"^(?:pro|anti|non|ex|neo|pan)-|-(?:based|linked|backed|sponsored|speaking|born|owned|affiliated|aligned)$",
    re.IGNORECASE,
)


def not_an_organisation(cluster: Cluster) -> bool:
    """Nationalities, religious or political groups and adjectives ("pro-Russian", "Chinese",
    "Iran-linked") are never the victim organisation, whatever the title says."""
    name = cluster.name
    if not name or not name[0].isalnum() or name[0].islower() and not any(c.isupper() for c in name[1:]):
        return True
    if ADJECTIVAL.search(name):
        return True
    labels = set(cluster.labels)
    return bool(labels) and labels <= {"NORP"}


def name_token(token: Token) -> bool:
    """A token that can be part of a proper name: a proper noun, capitalised."""
    return token.pos_ == "PROPN" and token.text[:1].isupper() and not token.is_space


def full_name_spans(doc: Doc, ents: list[Span]) -> list[Span]:
    """Entities widened to the whole proper name the recogniser cut up: adjacent proper nouns
    ("Toyota" + "Boshoku"), the other half of an in-word hyphen ("T-" + "Mobile"), "&" between
    names, and an organisation followed directly by a place ("Toyota Boshoku Europe")."""
    result: list[Span] = []
    taken: set[int] = set()
    ordered = sorted(ents, key=lambda e: e.start)
    by_start = {e.start: e for e in ordered}
    for ent in ordered:
        if ent.start in taken:
            continue
        start, end, label = ent.start, ent.end, ent.label_
        if label in {"ORG", "PRODUCT", "FAC", "PERSON", "WORK_OF_ART"}:
            changed = True
            while changed:
                changed = False
                # to the left: a bare proper noun or an in-word hyphen
                if start > 0:
                    prev = doc[start - 1]
                    if (
                        name_token(prev)
                        and not prev.ent_type_
                        and "\n" not in prev.whitespace_
                        and prev.whitespace_
                    ):
                        start -= 1
                        changed = True
                    elif (
                        prev.text in NAME_JOINERS
                        and start > 1
                        and name_token(doc[start - 2])
                        and (prev.text == "&" or (not prev.whitespace_ and not doc[start - 2].whitespace_))
                    ):
                        if not doc[start - 2].ent_type_ or doc[start - 2].ent_type_ == label:
                            start -= 2
                            changed = True
                # to the right: the same, and a following organisation or place name
                if end < len(doc) and "\n" not in doc[end - 1].whitespace_:
                    nxt = doc[end]
                    if (
                        nxt.text in NAME_JOINERS
                        and end + 1 < len(doc)
                        and name_token(doc[end + 1])
                        and (nxt.text == "&" or (not nxt.whitespace_ and not doc[end - 1].whitespace_))
                    ):
                        following = by_start.get(end + 1)
                        end = (
                            following.end if following is not None and following.label_ == label else end + 2
                        )
                        changed = True
                    elif (
                        doc[end - 1].whitespace_ == " "
                        and end in by_start
                        and label == "ORG"
                        and by_start[end].label_ in {"ORG", "GPE", "LOC"}
                        and all(name_token(t) for t in by_start[end])
                    ):
                        end = by_start[end].end
                        changed = True
                    elif name_token(nxt) and not nxt.ent_type_ and doc[end - 1].whitespace_ == " ":
                        end += 1
                        changed = True
        # "Transport" + "for London", "City of" + "Atlanta": an institution's name with its place
        if (
            end + 1 < len(doc)
            and doc[end - 1].text in INSTITUTION_WORDS
            and doc[end].lower_ in {"of", "for"}
            and name_token(doc[end + 1])
            and "\n" not in doc[end - 1].whitespace_ + doc[end].whitespace_
        ):
            following = by_start.get(end + 1)
            stop = following.end if following is not None else end + 2
            while following is None and stop < len(doc) and name_token(doc[stop]) and not doc[stop].ent_type_:
                stop += 1
            end, label = stop, "ORG"
        if (
            start >= 2
            and doc[start - 1].lower_ in {"of", "for"}
            and name_token(doc[start - 2])
            and doc[start - 2].text in INSTITUTION_WORDS
            and not doc[start - 2].ent_type_
        ):
            start, label = start - 2, "ORG"
        taken.update(range(start, end))
        result.append(
            ent
            if (start, end, label) == (ent.start, ent.end, ent.label_)
            else Span(doc, start, end, label=label)
        )
    return result


def first_word(form: str) -> str | None:
    """The distinctive first word of a multi-word name ("NHS" of "NHS Digital"), if any."""
    words = clean_name(form).split()
    if (
        len(words) < 2
        or len(words[0]) < 3
        or not words[0][0].isupper()
        or words[0].lower()
        in {
            "the",
            "new",
            "north",
            "south",
            "east",
            "west",
            "united",
            "national",
            "first",
            "general",
            "american",
            "british",
            "international",
            "global",
        }
    ):
        return None
    return words[0]


TITLE_FINDER = (
    r"(?:\s+(?:says|said)\s+it)?\s+(?:finds|found|discovers|discovered|uncovers|uncovered|spots|spotted|"
    r"identifies|identified|links|linked|blames|blamed|attributes|attributed|warns of|details|tracks|names|dubs)\b"
    r"(?![^.;:]*\b(?:its|own)\b)(?=(?:\W+\w+){0,5}?\W+(?:" + "|".join(sorted(THREAT_NOUNS)) + r")\b)"
)


TITLE_FINDER_RE = None


def title_finder(form: str, title: str) -> bool:
    """ "... as Microsoft finds destructive WhisperGate wiper": a headline that names the
    organisation as the one who found or attributed the threat. (The name is found with
    plain string search and the rest matched by one compiled pattern: compiling a pattern per
    name and document thrashes the regex cache.)"""
    global TITLE_FINDER_RE
    key = clean_name(form)
    if len(key) < 2:
        return False
    if TITLE_FINDER_RE is None:
        TITLE_FINDER_RE = re.compile(TITLE_FINDER, re.IGNORECASE)
    for start in occurrences(key.lower(), title.lower()):
        if TITLE_FINDER_RE.match(title, start + len(key)):
            return True
    return False


TITLE_SOURCE_RE = re.compile(
    r"\s+(?:says|said|say|reports|reported|warns|warned|claims|claimed)\W*$", re.IGNORECASE
)


def title_source(form: str, title: str) -> bool:
    """ "Hackers publish data stolen in Synnovis attack, NHS England says": the name after the
    headline's last comma (or colon) attributes the story; it is not the headline's subject."""
    key = clean_name(form)
    if len(key) < 2:
        return False
    lower = title.lower()
    for start in occurrences(key.lower(), lower):
        before = lower[:start].rstrip()
        if before.endswith((",", ":", "—", "-")) and TITLE_SOURCE_RE.match(title, start + len(key)):
            return True
    return False


def occurrences(key: str, text: str):
    """Start offsets of `key` in `text` as a whole word (no letter or digit on either side)."""
    start = text.find(key)
    while start >= 0:
        end = start + len(key)
        if (start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")) and (
            end >= len(text) or not (text[end].isalnum() or text[end] == "_")
        ):
            yield start
        start = text.find(key, start + 1)


def form_in_text(form: str, text: str) -> bool:
    key = clean_name(form)
    if len(key) < 2:
        return False
    if key.isupper():
        return next(occurrences(key, text), None) is not None
    return next(occurrences(key.lower(), text.lower()), None) is not None


def unique(items: list) -> list:
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


@Language.factory(
    "incident_roles",
    default_config={"min_victim_score": 3.0, "relative_cutoff": 0.5, "max_victims": 4},
)
def make_role_assigner(
    nlp: Language, name: str, min_victim_score: float, relative_cutoff: float, max_victims: int
) -> RoleAssigner:
    return RoleAssigner(nlp, name, min_victim_score, relative_cutoff, max_victims)
