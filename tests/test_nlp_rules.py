"""Focused sentences for the analysis rules fixed after the first version: whole proper names,
organisations only as victims, finders are not victims, type cues, grounded services,
attackers of this incident, and the entity recogniser run only around names."""

from __future__ import annotations

import pytest

from core.gazetteers import load_gazetteer
from core.names import names_match
from pipelines.nlp import Analyzer, build_nlp


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    """The rule components alone: what they find is what the trained models decide from."""
    return Analyzer(nlp=build_nlp(learned=False))


def analyse(analyzer: Analyzer, text: str, title: str = "", **extra) -> dict:
    return analyzer.analyze_one({"id": "t", "title": title, "text": text, **extra}).to_dict()


# -- names --------------------------------------------------------------------------------
def test_hyphenated_name_is_kept_whole(analyzer):
    record = analyse(
        analyzer,
        "T-Mobile said hackers stole personal data on 40 million customers. "
        "T-Mobile said the attackers accessed its servers. Employees at T-Mobile were told on Monday.",
        title="T-Mobile confirms data breach",
    )
    assert record["victims"] == ["T-Mobile"]


def test_compound_name_cut_by_the_recogniser_is_kept_whole(analyzer):
    record = analyse(
        analyzer,
        "Toyota Boshoku, a car parts maker, said it lost $37 million after criminals impersonated a "
        "supplier and persuaded staff to change bank details. Toyota Boshoku said it was working with police.",
        title="Toyota Boshoku loses $37 million in business email compromise scam",
    )
    assert record["victims"] and record["victims"][0].startswith("Toyota Boshoku")


def test_nationality_adjective_is_never_a_victim(analyzer):
    record = analyse(
        analyzer,
        "Pro-Russian hackers knocked the websites of Los Angeles International Airport offline on "
        "Monday in a DDoS attack claimed by Killnet, a pro-Russian group. The airport said flights were unaffected.",
        title="Pro-Russian hackers knock airport websites offline",
    )
    assert record["is_incident"]
    assert not any(v.lower().startswith("pro-") for v in record["victims"])
    assert any(names_match(v, "Los Angeles International Airport") for v in record["victims"])


def test_vendor_that_found_the_malware_is_not_the_victim(analyzer):
    record = analyse(
        analyzer,
        "Dozens of government websites were defaced overnight, the Ministry of Foreign Affairs said. "
        "Microsoft said it found destructive malware on systems belonging to government agencies. "
        "Researchers at Microsoft said the malware was designed to look like ransomware.",
        title="Government websites defaced as Microsoft finds destructive wiper",
    )
    assert record["is_incident"]
    assert "Microsoft" not in record["victims"]
    assert any(names_match(v, "Ministry of Foreign Affairs") for v in record["victims"])


def test_headline_incident_with_suspended_service(analyzer):
    record = analyse(
        analyzer,
        "Transport for London has restricted a range of online services while it deals with a cyber "
        "incident. Live arrival information has been cut and new photocard applications are suspended. "
        "TfL said there was no evidence that customer data had been compromised.",
        title="TfL cuts live Tube data and suspends photocard applications as it fights cyber incident",
    )
    assert record["is_incident"]
    assert record["victims"]


# -- types --------------------------------------------------------------------------------
def test_phishing_lure_words_are_not_hedges(analyzer):
    record = analyse(
        analyzer,
        "Staff at Northfield University received fake emails disguised as messages from the IT "
        "department. Several employees entered their passwords on the page, the university said.",
        title="Northfield University hit by phishing attack",
    )
    assert "phishing" in record["incident_types"]


def test_supply_chain_from_a_trojanised_update(analyzer):
    record = analyse(
        analyzer,
        "Attackers compromised the update server of Pinewood Software and pushed a trojanized update "
        "to thousands of customers, Pinewood Software said on Tuesday.",
        title="Pinewood Software hacked to push malicious update",
    )
    assert "supply_chain" in record["incident_types"]


def test_bec_from_impersonation_and_wiring(analyzer):
    record = analyse(
        analyzer,
        "Harlow Freight said criminals impersonating its chief executive tricked an accountant into "
        "wiring $2 million to an account they controlled.",
        title="Harlow Freight loses $2 million to email scam",
    )
    assert "bec" in record["incident_types"]


# -- services -----------------------------------------------------------------------------
def test_services_are_grounded_short_and_never_data(analyzer):
    record = analyse(
        analyzer,
        "Royal Mail said its export services were suspended after a cyber incident. "
        "Hackers stole customer data and financial data in the attack on Royal Mail.",
        title="Royal Mail halts exports after cyber incident",
    )
    assert record["services_affected"]
    assert all(s and len(s.split()) <= 4 for s in record["services_affected"])
    assert not any("data" in s for s in record["services_affected"])


def test_service_needs_a_status_cue_near_it(analyzer):
    record = analyse(
        analyzer,
        "Acme Bank said hackers breached its network on Friday and affected thousands of customers, "
        "some of whom had used the mobile app earlier in the week.",
        title="Acme Bank hit by data breach",
    )
    assert "mobile app" not in record["services_affected"]


# -- attackers ----------------------------------------------------------------------------
def test_trend_report_lists_no_attackers(analyzer):
    record = analyse(
        analyzer,
        "Ransomware payments doubled in 2019, according to a report by a security firm. Groups such "
        "as Ryuk and REvil demanded larger ransoms from businesses, the report says.",
        title="Ransomware payments doubled in 2019, report says",
        published="2020-01-10",
    )
    assert not record["is_incident"]
    assert record["attackers"] == []


def test_earlier_actor_aliases_are_known():
    gaz = load_gazetteer()
    assert [e.name for e in gaz.lookup("Cloud Hopper")] == ["APT10"]
    assert gaz.lookup("OurMine")
    assert [e.name for e in gaz.lookup("FIN10")] == ["FIN10"]  # from MITRE ATT&CK's groups


def test_an_ambiguous_actor_name_counts_when_it_acts_and_never_in_lower_case(analyzer):
    from pipelines.nlp.gazetteer_component import SPANS_KEY

    nlp = analyzer.nlp
    actors = lambda text: [s.kb_id_ for s in nlp(text).spans[SPANS_KEY] if s.label_ == "THREAT_ACTOR"]  # noqa: E731
    assert actors("Anonymous also leaked the records of 380,000 users of the hosting firm.") == ["Anonymous"]
    assert actors("The site was run by the activist hacking organization Anonymous, police said.") == [
        "Anonymous"
    ]
    assert actors("Its anonymous operator, a hacker said, claimed the site was clean.") == []


# -- selective entity recognition -----------------------------------------------------------
def test_selective_ner_matches_full_ner_on_names():
    text = (
        "Equifax said on Thursday that hackers stole data on 143 million Americans. the company said "
        "it had found no evidence of unauthorized activity on its core databases, and it was "
        "working with the FBI and Mandiant to investigate. it was not clear who was behind it."
    )
    fast = build_nlp()
    full = build_nlp(selective_ner=False)
    names = {"ORG", "GPE", "NORP", "PERSON"}
    assert {(e.text, e.label_) for e in fast(text).ents if e.label_ in names} == {
        (e.text, e.label_) for e in full(text).ents if e.label_ in names
    }


# -- detection and hedging ----------------------------------------------------------------
def test_outage_without_a_cyber_cue_is_not_an_incident(analyzer):
    record = analyse(
        analyzer,
        "Northway Power said a storm, not a cyberattack, caused the outage that left 30,000 homes "
        "without electricity. Rumours had suggested hackers were behind the blackout. Power was restored on Monday.",
        title="Utility blames storm, not hackers, for outage",
    )
    assert not record["is_incident"]


def test_a_type_far_from_a_hedge_still_counts(analyzer):
    record = analyse(
        analyzer,
        "Brookfield Clinic said attackers sent phishing emails to staff on Monday, and many employees "
        "entered their passwords. The clinic said the hackers then accessed patient records.",
        title="Brookfield Clinic hit by phishing attack",
    )
    assert "phishing" in record["incident_types"]


def test_a_likely_explanation_is_not_a_type(analyzer):
    record = analyse(
        analyzer,
        "Harbour Foods said a cyberattack had disrupted its ordering systems. An analyst at a security "
        "firm said the long recovery made ransomware a likely explanation.",
        title="Harbour Foods hit by cyberattack",
    )
    assert record["is_incident"]
    assert "ransomware" not in record["incident_types"]


def test_attributed_ransomware_group_gives_the_type(analyzer):
    record = analyse(
        analyzer,
        "Lakeside Health said a cyberattack had disrupted its claims processing. The company said the "
        "attack was carried out by LockBit.",
        title="Lakeside Health hit by cyberattack",
    )
    assert record["incident_types"] == ["ransomware"]


def test_institution_named_with_its_place_is_one_name(analyzer):
    record = analyse(
        analyzer,
        "A teenager was arrested over the cyber attack on Transport for London. TfL said customer data "
        "had been accessed in the attack.",
        title="Teenager arrested over TfL cyber attack",
    )
    assert record["victims"]
    assert all(names_match(v, "Transport for London") for v in record["victims"])


def test_victims_listed_after_including(analyzer):
    record = analyse(
        analyzer,
        "Officials said that around 70 government websites were hit, including those of the Ministry of "
        "Foreign Affairs and the Ministry of Energy. The sites were defaced overnight.",
        title="Government websites defaced in cyberattack",
    )
    assert any(names_match(v, "Ministry of Energy") for v in record["victims"])


def test_headline_attribution_is_not_the_victim(analyzer):
    record = analyse(
        analyzer,
        "Hackers have published data stolen from Corbel Pathology, a pathology services provider, NHS "
        "Trust North said on Friday. Corbel Pathology said its systems were encrypted in the ransomware attack. "
        "NHS Trust North said the data was stolen from Corbel Pathology.",
        title="Hackers publish data stolen in Corbel Pathology attack, NHS Trust North says",
    )
    assert record["victims"][0] == "Corbel Pathology"


def test_hijacked_software_update_is_a_supply_chain_incident(analyzer):
    record = analyse(
        analyzer,
        "Hackers compromised a server used by computer maker Veltro to push a malicious update to as many "
        "as one million customers, a security firm said on Monday. The attackers signed the tainted update tool "
        "with legitimate Veltro certificates. Veltro said it had fixed the issue and released a new version of the software.",
        title="Hackers hijacked Veltro software updates to install backdoors",
    )
    assert record["is_incident"]
    assert record["victims"] == ["Veltro"]
    assert "supply_chain" in record["incident_types"]


def test_security_vendor_can_be_the_victim_when_the_headline_says_so(analyzer):
    record = analyse(
        analyzer,
        "Kaspersky was hit by a cyberattack that breached its internal network, the company said on "
        "Tuesday. Kaspersky said the attackers accessed source code.",
        title="Kaspersky hit by cyberattack on internal network",
    )
    assert record["victims"] == ["Kaspersky"]


def test_target_of_a_police_takedown_is_not_a_victim(analyzer):
    record = analyse(
        analyzer,
        "Police in three countries have arrested the operators of Boothub.net, a website that rented out "
        "denial-of-service attacks, officials said. Investigators took the site offline and seized its servers.",
        title="Police shut down Boothub attack-for-hire service",
    )
    assert record["victims"] == []


def test_account_takeover_is_not_any_breach_of_account_records(analyzer):
    breach = analyse(
        analyzer,
        "Maple Mail said hackers stole data associated with 500 million user accounts, including names "
        "and hashed passwords. The company said the accounts were compromised in the attack on its network.",
        title="Maple Mail says hackers stole data on 500 million accounts",
    )
    assert "data_breach" in breach["incident_types"]
    assert "account_takeover" not in breach["incident_types"]
    takeover = analyse(
        analyzer,
        "Hackers hijacked the social media accounts of the Eastern Football League on Sunday and posted "
        "messages promoting their services, the league said.",
        title="Hackers hijack social media accounts of football league",
    )
    assert "account_takeover" in takeover["incident_types"]


def test_cryptojacking_espionage_and_data_volume_cues(analyzer):
    mining = analyse(
        analyzer,
        "Hackers broke into Corvel Motors' cloud account and used it to mine cryptocurrency, a security "
        "firm said. Corvel Motors said it fixed the problem within hours.",
        title="Corvel Motors cloud account hijacked by cryptocurrency miners",
    )
    assert "malware" in mining["incident_types"]
    spies = analyse(
        analyzer,
        "Chinese government hackers compromised the computers of Harwell Marine, a defence contractor, "
        "and stole 614 gigabytes of sensitive data, officials said. Harwell Marine said it was investigating.",
        title="Hackers stole sensitive data from defence contractor Harwell Marine",
    )
    assert {"espionage", "data_breach"} <= set(spies["incident_types"])


def test_victim_that_discovered_its_own_breach_is_not_a_finder(analyzer):
    record = analyse(
        analyzer,
        "Larkin Hotels said hackers had accessed its reservation database, exposing the details of 5 million "
        "guests. Larkin Hotels discovered the breach in September after an internal security tool flagged an "
        "unusual attempt to access the database.",
        title="Larkin Hotels says hackers stole guest data",
    )
    assert record["victims"] == ["Larkin Hotels"]


# -- type cues for breach notices, vendors, lures and ransom ---------------------------------
def types_of(analyzer, title: str, text: str) -> set[str]:
    record = analyse(analyzer, text, title=title)
    assert record["is_incident"], record
    return set(record["incident_types"])


def test_extent_hedge_in_a_breach_notice_still_asserts_the_breach(analyzer):
    kinds = types_of(
        analyzer,
        "Bellmoor Clinic notifies patients of email incident",
        "Bellmoor Clinic said an unauthorized person may have accessed protected health information of "
        "4,100 patients after staff fell victim to a phishing attack. Bellmoor Clinic notified patients on Friday.",
    )
    assert {"data_breach", "phishing"} <= kinds


def test_speculation_about_the_type_still_blocks_it(analyzer):
    kinds = types_of(
        analyzer,
        "Tarnwell Foods hit by cyberattack",
        "Tarnwell Foods said hackers attacked its systems on Monday and its plants were shut. "
        "Analysts said the attack could have been ransomware.",
    )
    assert "ransomware" not in kinds


def test_mailbox_intrusion_is_a_breach_not_an_account_takeover(analyzer):
    kinds = types_of(
        analyzer,
        "Fenwick County discloses data breach",
        "Fenwick County said two employee email accounts were accessed by an unauthorized third party in May. "
        "The accounts contained names and Social Security numbers of 900 residents, Fenwick County said.",
    )
    assert "data_breach" in kinds and "account_takeover" not in kinds


def test_impersonation_is_bec_for_money_and_phishing_for_data(analyzer):
    money = types_of(
        analyzer,
        "Orland Plastics loses $1.2 million to scammers",
        "Orland Plastics said criminals impersonating its chief executive persuaded finance staff to wire "
        "$1.2 million to a bank account in Hong Kong. Orland Plastics said it had reported the fraud to police.",
    )
    assert "bec" in money and "phishing" not in money
    data = types_of(
        analyzer,
        "Orland Plastics hit by W-2 scam",
        "Orland Plastics said a scammer impersonating its chief executive asked payroll staff for the W-2 tax "
        "forms of all employees, and staff sent them. Orland Plastics said the breach affected 2,000 workers.",
    )
    assert "phishing" in data and "bec" not in data


def test_clicked_email_link_is_phishing(analyzer):
    kinds = types_of(
        analyzer,
        "Dunmore city hit by ransomware",
        "Dunmore said its servers were encrypted by ransomware after an employee clicked on an email link. "
        "Dunmore said it was restoring its systems.",
    )
    assert {"ransomware", "phishing"} <= kinds


def test_breach_through_a_vendor_is_supply_chain(analyzer):
    kinds = types_of(
        analyzer,
        "Corbin Outfitters says card data stolen",
        "Corbin Outfitters said hackers stole card data of 30,000 customers through a third-party software "
        "vendor that runs its online checkout. Corbin Outfitters said it had notified customers.",
    )
    assert {"data_breach", "supply_chain"} <= kinds
    update = types_of(
        analyzer,
        "Hackers hijack Velto software updates to install backdoor",
        "Hackers compromised the update server of Velto Systems and pushed a backdoor to 40,000 customers "
        "through a routine software update, Velto Systems said.",
    )
    assert {"malware", "supply_chain"} <= update


def test_ransom_with_encrypted_files_is_ransomware_and_a_wiper_is_the_malware(analyzer):
    kinds = types_of(
        analyzer,
        "Halby council pays ransom after cyberattack",
        "Halby council said hackers locked its computers and it paid the ransom to unlock its files. "
        "Halby council said services were restored on Monday.",
    )
    assert "ransomware" in kinds
    wiper = types_of(
        analyzer,
        "Shipping firm Kordell Group hit by wiper attack",
        "Kordell Group, a Danish shipping company, said it was hit by a cyberattack on Tuesday in which wiper "
        "malware erased data on thousands of its computers. Kordell Group said its port terminals were shut.",
    )
    # GUIDE.md: malware "when not better described by ransomware or wiper"
    assert "wiper" in wiper and "malware" not in wiper


def test_phishing_told_as_what_usually_happens_is_not_a_type(analyzer):
    # a ransomware story's advice and background on how such attacks usually start assert no
    # phishing; the same lure told as what happened does
    generic = types_of(
        analyzer,
        "Halby council hit by ransomware attack",
        "Halby council said hackers encrypted its computers and demanded a ransom on Monday. "
        "Criminals use phishing emails with malicious links to infect victims. "
        "The firm recommends being wary of suspicious email attachments and malicious links.",
    )
    assert "ransomware" in generic and "phishing" not in generic
    told = types_of(
        analyzer,
        "Halby council hit by ransomware attack",
        "Halby council said hackers encrypted its computers and demanded a ransom on Monday. "
        "The ransomware arrived in phishing emails that staff opened last week.",
    )
    assert "phishing" in told


def test_exposed_database_without_a_password_is_a_breach(analyzer):
    kinds = types_of(
        analyzer,
        "Kessler Insurance exposed customer data",
        "Kessler Insurance said a database holding 2 million customer records was left online without a "
        "password. Kessler Insurance confirmed the breach on Tuesday.",
    )
    assert kinds == {"data_breach"}


def test_lead_dated_to_last_year_still_tells_this_breach(analyzer):
    record = analyse(
        analyzer,
        "Ashby Medical Group said that in December 2018 an unauthorized party accessed a server holding "
        "patient records. Ashby Medical Group said it learned of the breach in January 2019 and notified "
        "10,000 patients.",
        title="Ashby Medical Group discloses breach of patient records",
    )
    assert record["is_incident"] and "data_breach" in record["incident_types"]


def test_data_offered_on_a_dark_web_forum_is_a_breach(analyzer):
    kinds = types_of(
        analyzer,
        "Hackers sell Pellam Games player data",
        "Pellam Games said hackers broke into its systems and the stolen player records were offered for sale "
        "on a dark web marketplace. Pellam Games said it had reset passwords.",
    )
    assert "data_breach" in kinds


def test_an_attempted_payment_diversion_is_not_bec(analyzer):
    record = analyse(
        analyzer,
        "Hackers gained access to Acme Health employee email accounts through a phishing campaign, "
        "the hospital said. The attackers attempted to divert vendor payments to a fraudulent bank "
        "account, but the transfer was stopped by the finance team. Patient names and dates of "
        "birth may have been accessed.",
        title="Acme Health reports phishing attack on staff email",
    )
    assert record["is_incident"]
    assert "phishing" in record["incident_types"]
    assert "bec" not in record["incident_types"]


# -- precise rare types ---------------------------------------------------------------------
def test_credential_stuffing_of_customer_accounts_is_account_takeover(analyzer):
    record = analyse(
        analyzer,
        "Attackers broke into thousands of customer accounts at Acme Games using passwords reused from "
        "other sites, Acme Games said. The attackers took over the accounts and bought in-game items.",
        title="Acme Games hit by credential stuffing attack",
    )
    assert "account_takeover" in record["incident_types"]


def test_staff_mailboxes_phished_are_not_account_takeover(analyzer):
    record = analyse(
        analyzer,
        "Northfield College said a phishing email tricked staff into entering their passwords, and the "
        "attackers accessed several employee email accounts. Northfield College has reset the passwords.",
        title="Northfield College hit by phishing attack",
    )
    assert "phishing" in record["incident_types"]
    assert "account_takeover" not in record["incident_types"]


def test_accessed_account_records_are_a_breach_not_a_takeover(analyzer):
    record = analyse(
        analyzer,
        "Hackers gained access to customer accounts data at Brightbank and stole names and addresses, "
        "Brightbank said. Brightbank said the stolen records were posted online.",
        title="Brightbank discloses data breach",
    )
    assert "account_takeover" not in record["incident_types"]
    assert "data_breach" in record["incident_types"]


def test_wire_fraud_charge_is_not_bec(analyzer):
    record = analyse(
        analyzer,
        "Prosecutors said the hackers stole customer data from Lakeside Clinic. "
        "Two men were charged with wire fraud and computer intrusion over the breach at Lakeside Clinic.",
        title="Two charged over Lakeside Clinic data breach",
    )
    assert "bec" not in record["incident_types"]


def test_bec_needs_money_diverted(analyzer):
    record = analyse(
        analyzer,
        "Fraudsters impersonated the chief executive of Redhill Foods in emails and tricked staff into "
        "wiring $2 million to a bank account they controlled, Redhill Foods said.",
        title="Redhill Foods loses $2 million to email scam",
    )
    assert record["incident_types"] == ["bec"]


def test_nation_state_commentary_is_not_espionage(analyzer):
    record = analyse(
        analyzer,
        "Ransomware encrypted the servers of Dunmore Council on Tuesday, Dunmore Council said. "
        "Nation-state groups are a growing concern for councils.",
        title="Dunmore Council hit by ransomware attack",
    )
    assert "espionage" not in record["incident_types"]


def test_state_hackers_behind_the_intrusion_is_espionage(analyzer):
    record = analyse(
        analyzer,
        "Hackers breached the network of Acme Defence Systems, the company said on Monday. "
        "Acme Defence Systems said state-sponsored hackers were behind the intrusion and stole design files.",
        title="Acme Defence Systems hacked",
    )
    assert "espionage" in record["incident_types"]


def test_pages_replaced_with_messages_is_defacement(analyzer):
    record = analyse(
        analyzer,
        "Hackers attacked the website of Greenvale City Council overnight. The council said its "
        "homepage was replaced with a political message, and the site was taken offline.",
        title="Greenvale City Council website hacked",
    )
    assert "defacement" in record["incident_types"]
    assert "unspecified" not in record["incident_types"]


def test_unspecified_only_without_any_type_cue(analyzer):
    record = analyse(
        analyzer,
        "Harbor Logistics said a cyberattack disrupted its systems on Monday. "
        "Harbor Logistics said it had taken systems offline and was investigating the attack.",
        title="Harbor Logistics hit by cyberattack",
    )
    assert record["incident_types"] == ["unspecified"]
    record = analyse(
        analyzer,
        "Harbor Logistics said a ransomware attack encrypted its servers on Monday. "
        "Harbor Logistics said it had taken systems offline.",
        title="Harbor Logistics hit by cyberattack",
    )
    assert record["incident_types"] == ["ransomware"]


def test_homepage_showing_slogans_is_defacement(analyzer):
    record = analyse(
        analyzer,
        "Hackers compromised the website of Lakeside City Council on Sunday, the council said. "
        "The homepage showed pro-Russian slogans for several hours.",
        title="City website hacked",
    )
    assert record["incident_types"] == ["defacement"]


# -- the victim's sector ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "text", "sector"),
    [
        (
            "Optus hit by data breach",
            "Optus, Australia's second-largest telecommunications company, said hackers stole customer "
            "records. Police are investigating the breach. Optus said its systems were secured.",
            "telecommunications",
        ),
        (
            "Ransomware attack on Hancock hits systems",
            "Hancock Health said a ransomware attack encrypted its servers on Thursday. Police and the FBI "
            "were told. The hospital said staff moved to paper records while the police investigated.",
            "hospitals",
        ),
        (
            "Clorox says cyberattack disrupted operations",
            "Clorox said a cyberattack damaged parts of its IT infrastructure. The attack forced the maker "
            "of bleach and cleaning products to process orders by hand, and retailers ran short of stock.",
            "consumer goods",
        ),
    ],
)
def test_sector_is_what_the_text_says_of_the_victim(analyzer, title, text, sector):
    record = analyse(analyzer, text, title=title)
    assert record["victims"]
    assert record["sector"] == sector
