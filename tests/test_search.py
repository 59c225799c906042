"""Search, as analysts and SOC teams use it, on both engines: the embedded one (SQLite FTS5)
and a real search node (make test starts one; FIMISHARE_TEST_ELASTICSEARCH_URL)."""

from __future__ import annotations

import uuid

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from support.stix_factory import indicator, relationship, sdo

from fimishare.cli import main
from fimishare.config import Settings
from fimishare.node import Node
from fimishare.search.indexer import Indexer
from fimishare.search.query import QueryError, SearchQuery, parse_filters
from fimishare.sharing.markings import fimishare_marking_definition
from fimishare.stix import TLP_AMBER, TLP_AMBER_STRICT, TLP_CLEAR, TLP_GREEN, TLP_RED
from fimishare.store.objects import Provenance

FIMI_EXTENSION = "extension-definition--94ef16a4-16eb-43aa-93a7-1e1a3433fd06"
ENGINES = ["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]


class SearchNode:
    """A node with partner organisations and accounts, its store fed through the ingest
    pipeline and its index through the outbox, as in production."""

    def __init__(self, env: dict):
        self.env = env
        self.runner = CliRunner()
        self.cli("init", "--org-name", "EEAS")
        self.orgs = {"EEAS": None}
        for name, clearance in (("JP-NISC", "RESTRICTED"), ("FR-VIGINUM", None)):
            org_name, org_id = self.cli("orgs", "add", name, *(["--clearance", clearance] if clearance else [])).strip().split("\t")
            self.orgs[org_name] = org_id
        for name, org, role, clearance in (
            ("eeas-analyst", "EEAS", "analyst", "SECRET"),
            ("jp-sync", "JP-NISC", "sync", "RESTRICTED"),
            ("jp-viewer", "JP-NISC", "viewer", "RESTRICTED"),
            ("fr-sync", "FR-VIGINUM", "sync", None),
        ):
            self.cli("users", "add", name, "--org", org, "--role", role, *(["--clearance", clearance] if clearance else []))
        self.node = Node(Settings.from_env(env))
        self.orgs["EEAS"] = self.node.store.node_organisation_id()
        self.only_jp = fimishare_marking_definition("NISC only", releasable_to=[self.orgs["JP-NISC"]])
        self.ingest([self.only_jp])

    def cli(self, *args: str) -> str:
        result = self.runner.invoke(main, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    def ingest(self, objects: list[dict], org: str = "EEAS", account: str | None = None) -> None:
        submitted_by = self.node.store.directory.account(account).identity_id if account else None
        report = self.node.pipeline.ingest_objects(objects, Provenance(self.orgs[org], "api" if account else "import", submitted_by))
        assert report.rejected == 0, report.errors()

    def index(self) -> int:
        return Indexer(self.node.store, self.node.gate, self.node.search).drain()

    def principal(self, account: str | None, exercise: bool = False):
        if account is None:
            return self.node.store.directory.account("eeas-analyst").principal(exercise)
        return self.node.store.directory.account(account).principal(exercise)

    def search(self, text: str = "", account: str | None = None, exercise: bool = False, **options):
        return self.node.search.search(SearchQuery(text, **options), self.node.gate.readable(self.principal(account, exercise)))

    def ids(self, text: str = "", account: str | None = None, **options) -> set[str]:
        """Every hit, through all pages."""
        found, after = [], None
        while True:
            result = self.search(text, account, size=options.pop("size", 50), after=after, **options)
            found += [hit.id for hit in result.hits]
            after = result.next
            if after is None:
                break
        assert len(found) == len(set(found)), "a hit came twice"
        assert len(found) == result.total
        return set(found)

    def lookup(self, values: list[str], account: str | None = None):
        return self.node.search.lookup(values, self.node.gate.readable(self.principal(account)))


def node_env(tmp_path, engine: str, request) -> dict:
    env = {"FIMISHARE_HOME": str(tmp_path / "home"), "FIMISHARE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    if engine == "elasticsearch":
        env["FIMISHARE_ELASTICSEARCH_URL"] = request.getfixturevalue("elasticsearch_url")
        env["FIMISHARE_ELASTICSEARCH_INDEX"] = f"fimishare-test-{uuid.uuid4().hex[:12]}"
    return env


@pytest.fixture(params=ENGINES)
def searching(request, tmp_path):
    setup = SearchNode(node_env(tmp_path, request.param, request))
    yield setup
    _drop(setup)


def _drop(setup: SearchNode) -> None:
    engine = setup.node.search
    if engine.name == "elasticsearch":
        engine.drop()
    engine.close()
    setup.node.store.engine.dispose()


# --------------------------------------------------------------------------- a small FIMI corpus


def fimi_corpus() -> dict[str, dict]:
    technique = sdo(
        "attack-pattern",
        name="Develop Inauthentic Accounts",
        object_marking_refs=[TLP_CLEAR],
        external_references=[{"source_name": "DISARM", "external_id": "T0090"}],
    )
    actor = sdo(
        "threat-actor", name="Storm-1516", aliases=["CopyCop"], threat_actor_types=["nation-state"], object_marking_refs=[TLP_GREEN]
    )
    lighthouse = sdo(
        "campaign",
        name="Operation Lighthouse",
        created="2024-03-05T10:00:00.000Z",
        modified="2024-03-05T10:00:00.000Z",
        labels=["election"],
        object_marking_refs=[TLP_GREEN],
        description="Coordinated campaigns amplifying election narratives through bot networks and look-alike outlets.",
        extensions={FIMI_EXTENSION: {"extension_type": "property-extension", "cooperation_areas": ["hybrid-fimi", "maritime"]}},
    )
    todai = sdo(
        "campaign",
        name="灯台作戦",
        created="2024-04-10T08:00:00.000Z",
        modified="2024-04-10T08:00:00.000Z",
        description="選挙に関する偽情報を拡散するキャンペーン。漁業関係者を標的とした。",
        lang="ja",
        object_marking_refs=[TLP_GREEN],
        extensions={FIMI_EXTENSION: {"extension_type": "property-extension", "cooperation_areas": ["hybrid-fimi"]}},
    )
    domain = indicator(
        "[domain-name:value = 'news-lighthouse.example']",
        name="Look-alike outlet",
        created="2024-03-06T00:00:00.000Z",
        modified="2024-03-06T00:00:00.000Z",
        description="Domain impersonating a regional newspaper.",
        object_marking_refs=[TLP_GREEN],
    )
    address = indicator(
        "[ipv4-addr:value = '203.0.113.7']",
        name="Amplifier host",
        created="2024-05-01T00:00:00.000Z",
        modified="2024-05-01T00:00:00.000Z",
        object_marking_refs=[TLP_GREEN],
    )
    uses = relationship(
        lighthouse,
        "uses",
        technique,
        object_marking_refs=[TLP_GREEN],
        created="2024-03-07T00:00:00.000Z",
        modified="2024-03-07T00:00:00.000Z",
    )
    attributed = relationship(
        lighthouse,
        "attributed-to",
        actor,
        object_marking_refs=[TLP_GREEN],
        created="2024-03-08T00:00:00.000Z",
        modified="2024-03-08T00:00:00.000Z",
    )
    amber_link = relationship(
        todai,
        "attributed-to",
        actor,
        object_marking_refs=[TLP_AMBER],
        created="2024-04-11T00:00:00.000Z",
        modified="2024-04-11T00:00:00.000Z",
    )
    report = sdo(
        "report",
        name="Lighthouse assessment",
        published="2024-06-01T00:00:00.000Z",
        report_types=["campaign"],
        created="2024-06-01T00:00:00.000Z",
        modified="2024-06-01T00:00:00.000Z",
        object_marking_refs=[TLP_GREEN],
        object_refs=[lighthouse["id"], technique["id"], actor["id"], domain["id"]],
        description="How the Lighthouse operation spread its content.",
    )
    return {
        "technique": technique,
        "actor": actor,
        "lighthouse": lighthouse,
        "todai": todai,
        "domain": domain,
        "address": address,
        "uses": uses,
        "attributed": attributed,
        "amber_link": amber_link,
        "report": report,
    }


@pytest.fixture
def corpus(searching):
    objects = fimi_corpus()
    searching.ingest(list(objects.values()))
    assert searching.index() >= len(objects)
    return objects


def ids_of(corpus, *names) -> set[str]:
    return {corpus[name]["id"] for name in names}


# --------------------------------------------------------------------------- full text


def test_english_words_match_their_inflections_and_are_highlighted(searching, corpus):
    result = searching.search("campaign narratives")
    assert {hit.id for hit in result.hits} == ids_of(corpus, "lighthouse")
    hit = result.hits[0]
    assert hit.name == "Operation Lighthouse" and hit.type == "campaign" and hit.tlp == "green"
    assert any("<mark>narrativ" in fragment for fragment in hit.highlights["description"])


def test_japanese_text_is_found_by_a_two_character_word(searching, corpus):
    assert searching.ids("選挙") == ids_of(corpus, "todai")
    assert searching.ids("偽情報") == ids_of(corpus, "todai")
    assert searching.ids("灯台作戦") == ids_of(corpus, "todai")
    result = searching.search("漁業")
    assert [hit.id for hit in result.hits] == [corpus["todai"]["id"]]
    assert any("<mark>漁業</mark>" in f for f in result.hits[0].highlights["description"])


def test_part_of_a_domain_finds_the_indicator(searching, corpus):
    assert searching.ids("lighthouse.example") == ids_of(corpus, "domain")
    assert searching.ids("news-lighthouse") == ids_of(corpus, "domain")


def test_every_word_must_match(searching, corpus):
    assert searching.ids("lighthouse regional") == ids_of(corpus, "domain")
    assert searching.ids("lighthouse nowhere-to-be-found") == set()


def test_highlights_escape_markup_in_the_text(searching):
    searching.ingest(
        [sdo("campaign", name="Escaping", description="<script>alert('x')</script> lighthouse keeper", object_marking_refs=[TLP_GREEN])]
    )
    searching.index()
    [hit] = searching.search("keeper").hits
    fragment = hit.highlights["description"][0]
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment and "<mark>keeper</mark>" in fragment


# --------------------------------------------------------------------------- filters, facets, histogram


def test_filters_narrow_the_hits(searching, corpus):
    assert searching.ids(filters=parse_filters(["type=campaign"])) == ids_of(corpus, "lighthouse", "todai")
    assert searching.ids(filters=parse_filters(["type=campaign", "type=report"])) == ids_of(corpus, "lighthouse", "todai", "report")
    assert searching.ids(filters=parse_filters(["tlp=TLP:CLEAR"])) & ids_of(corpus, *corpus) == ids_of(corpus, "technique")
    assert searching.ids(filters=parse_filters(["technique=T0090"])) == ids_of(corpus, "technique", "uses", "report")
    assert searching.ids(filters=parse_filters(["actor=CopyCop"])) == ids_of(corpus, "actor", "attributed", "report")
    assert searching.ids(filters=parse_filters(["lang=ja"])) == ids_of(corpus, "todai")
    assert searching.ids(filters=parse_filters(["area=maritime"])) == ids_of(corpus, "lighthouse")
    assert searching.ids(filters=parse_filters(["label=election"])) == ids_of(corpus, "lighthouse")
    assert searching.ids(filters=parse_filters(["partner=" + searching.orgs["JP-NISC"]])) == set()
    assert searching.ids("lighthouse", filters=parse_filters(["type=indicator"])) == ids_of(corpus, "domain")
    assert searching.ids(since="2024-04-01T00:00:00Z", until="2024-05-31T23:59:59Z") == ids_of(corpus, "todai", "address", "amber_link")


def test_facets_and_histogram_count_the_hits(searching, corpus):
    result = searching.search(filters=parse_filters(["type=campaign", "type=indicator"]), interval="month")
    assert result.total == 4
    assert result.facets["type"] == {"campaign": 2, "indicator": 2}
    assert result.facets["lang"]["ja"] == 1
    assert result.facets["area"] == {"hybrid-fimi": 2, "maritime": 1}
    assert result.histogram == [("2024-03", 2), ("2024-04", 1), ("2024-05", 1)]
    assert searching.search(filters=parse_filters(["type=campaign"]), interval="year").histogram == [("2024", 2)]
    weekly = searching.search(filters=parse_filters(["type=campaign"]), interval="week").histogram
    assert weekly == [("2024-03-04", 1), ("2024-04-08", 1)]  # the Mondays of those weeks


def test_deep_paging_is_stable_and_complete(searching):
    campaigns = [
        sdo(
            "campaign",
            name=f"Paging {i}",
            description="paging corpus",
            object_marking_refs=[TLP_GREEN],
            created=f"2024-01-{1 + i % 28:02d}T00:00:00.000Z",
            modified=f"2024-01-{1 + i % 28:02d}T00:00:00.000Z",
        )
        for i in range(230)
    ]
    searching.ingest(campaigns)
    searching.index()
    expected = {c["id"] for c in campaigns}
    for sort in ("relevance", "date"):
        assert searching.ids("paging", sort=sort, size=17) == expected
    pages, after = [], None
    while True:
        result = searching.search("paging", sort="date", size=50, after=after)
        pages.append(result)
        after = result.next
        if after is None:
            break
    dates = [hit.date for page in pages for hit in page.hits]
    assert dates == sorted(dates, reverse=True)


def test_bad_requests_say_what_was_wrong():
    with pytest.raises(QueryError, match="unknown filter 'colour'"):
        parse_filters(["colour=red"])
    with pytest.raises(QueryError, match="is not NAME=VALUE"):
        parse_filters(["type"])
    with pytest.raises(QueryError, match="since"):
        SearchQuery(since="yesterday")
    with pytest.raises(QueryError, match="after"):
        SearchQuery(after="not-a-token")
    with pytest.raises(QueryError, match="size"):
        SearchQuery(size=5000)


# --------------------------------------------------------------------------- observable lookup


def test_lookup_of_many_values_refangs_and_normalises(searching, corpus):
    results = searching.lookup(
        ["news-lighthouse[.]example", "NEWS-LIGHTHOUSE.EXAMPLE.", "203[.]0[.]113[.]7", "never-seen.example", "hello world"]
    )
    assert [r.ids for r in results] == [[corpus["domain"]["id"]], [corpus["domain"]["id"]], [corpus["address"]["id"]], [], []]
    assert results[0].kind == "domain" and results[0].normalised == "news-lighthouse.example"
    assert results[4].kind is None


def test_lookup_finds_every_object_holding_a_value(searching):
    holders = [indicator("[domain-name:value = 'shared.example']", object_marking_refs=[TLP_GREEN]) for _ in range(30)]
    searching.ingest(holders)
    searching.index()
    [result] = searching.lookup(["shared.example"])
    assert set(result.ids) == {h["id"] for h in holders}


# --------------------------------------------------------------------------- the sharing policy inside the query


@pytest.fixture
def marked(searching):
    """One object per cell of the policy table (docs/sharing-policy.md), each with a domain of its own."""
    node = searching.node
    only_jp = searching.only_jp
    confidential = fimishare_marking_definition(f"confidential {uuid.uuid4().hex[:6]}", classification="CONFIDENTIAL")
    exercise = fimishare_marking_definition(f"exercise {uuid.uuid4().hex[:6]}", exercise="Blue Harbour 2026")
    cells = {
        "clear": [TLP_CLEAR],
        "green": [TLP_GREEN],
        "amber": [TLP_AMBER],
        "amber_strict": [TLP_AMBER_STRICT],
        "red": [TLP_RED],
        "green_for_jp": [TLP_GREEN, only_jp["id"]],
        "amber_for_jp": [TLP_AMBER, only_jp["id"]],
        "confidential": [TLP_GREEN, confidential["id"]],
        "exercise": [TLP_GREEN, exercise["id"]],
    }
    objects = {
        name: indicator(
            f"[domain-name:value = '{name.replace('_', '-')}.marked.example']",
            name=f"marked {name}",
            description=f"secretive marked object {name}",
            object_marking_refs=refs,
        )
        for name, refs in cells.items()
    }
    searching.ingest([confidential, exercise, *objects.values()])
    posted = {
        "jp_red": indicator(
            "[domain-name:value = 'jp-red.marked.example']",
            name="marked jp_red",
            description="secretive marked object jp_red",
            object_marking_refs=[TLP_RED],
        ),
        "fr_amber": indicator(
            "[domain-name:value = 'fr-amber.marked.example']",
            name="marked fr_amber",
            description="secretive marked object fr_amber",
            object_marking_refs=[TLP_AMBER],
        ),
    }
    searching.ingest([posted["jp_red"]], org="JP-NISC", account="jp-sync")
    searching.ingest([posted["fr_amber"]], org="FR-VIGINUM", account="fr-sync")
    granular = indicator(
        "[domain-name:value = 'granular.marked.example']",
        name="marked granular",
        description="hidden operative codename BLUEFIN",
        object_marking_refs=[TLP_GREEN],
        granular_markings=[{"marking_ref": TLP_RED, "selectors": ["description"]}],
    )
    searching.ingest([granular])
    searching.index()
    objects = {**objects, **posted, "granular": granular}
    return objects, node


ACCOUNTS = [None, "jp-sync", "jp-viewer", "fr-sync"]


@pytest.mark.parametrize("exercise", [False, True])
@pytest.mark.parametrize("account", ACCOUNTS)
def test_hits_totals_facets_and_lookups_show_only_what_the_reader_may_read(searching, marked, account, exercise):
    objects, node = marked
    principal = searching.principal(account, exercise)
    readable = {
        name
        for name, obj in objects.items()
        if node.gate.view(principal, node.store.objects.latest_versions([obj["id"]])[obj["id"]]) is not None
    }
    # The table, spelled out, so a change in the policy shows up here too.
    expected = {
        # RED: the submitter only; AMBER and AMBER+STRICT: the source organisation (and
        # whoever a releasability marking names); CONFIDENTIAL: cleared readers only.
        (None, False): {"clear", "green", "amber", "amber_strict", "green_for_jp", "amber_for_jp", "confidential", "fr_amber", "granular"},
        ("jp-sync", False): {"clear", "green", "green_for_jp", "amber_for_jp", "jp_red", "granular"},
        ("jp-viewer", False): {"clear", "green", "green_for_jp", "amber_for_jp", "granular"},
        ("fr-sync", False): {"clear", "green", "fr_amber", "granular"},
    }.get((account, exercise))
    if expected is not None:
        assert readable == expected
    else:
        assert readable == {"exercise"}
    wanted = {objects[name]["id"] for name in readable}
    found = searching.ids("marked", account, exercise=exercise)
    assert found == wanted
    result = searching.search("secretive", account, exercise=exercise, size=0)
    assert result.total == len(wanted - {objects["granular"]["id"]})
    if result.total:
        assert sum(result.facets["tlp"].values()) == result.total
        assert sum(count for _key, count in result.histogram) == result.total
    else:
        assert result.facets == {} and result.histogram == []
    domains = [f"{name.replace('_', '-')}.marked.example" for name in objects]
    looked_up = searching.lookup(domains, account) if not exercise else searching.node.search.lookup(domains, node.gate.readable(principal))
    assert {i for r in looked_up for i in r.ids} == wanted


def test_text_under_granular_markings_is_neither_searchable_nor_shown(searching, marked):
    objects, _node = marked
    assert searching.ids("BLUEFIN") == set()
    assert searching.ids("marked granular") == {objects["granular"]["id"]}
    [hit] = searching.search("marked granular").hits
    assert "BLUEFIN" not in orjson.dumps(hit.highlights).decode()


def test_a_link_the_reader_may_not_read_adds_nothing_to_an_object(searching, corpus):
    # Storm-1516 is linked to the GREEN 灯台作戦 only by an AMBER relationship, which VIGINUM may
    # not read. Only objects of the link's own access class (or public framework data) lend it
    # techniques and actors: the link gets none from the GREEN actor, the campaign none from the link.
    by_actor = ids_of(corpus, "actor", "attributed", "report")
    assert searching.ids(filters=parse_filters(["actor=Storm-1516"])) == by_actor
    assert searching.ids(filters=parse_filters(["actor=Storm-1516"]), account="fr-sync") == by_actor
    assert corpus["amber_link"]["id"] in searching.ids("attributed-to")


# --------------------------------------------------------------------------- outbox and worker


def test_new_versions_replace_the_document_and_older_ones_never_do(searching, corpus):
    newer = dict(corpus["lighthouse"], modified="2024-07-01T00:00:00.000Z", name="Operation Lighthouse II")
    searching.ingest([newer])
    searching.index()
    assert searching.search("Lighthouse II").hits[0].id == newer["id"]
    older = dict(corpus["lighthouse"], modified="2024-03-05T11:00:00.000Z", name="Operation Lighthouse Zephyrdraft")
    searching.ingest([older])
    searching.index()
    [hit] = [h for h in searching.search("lighthouse", size=50).hits if h.id == newer["id"]]
    assert hit.name == "Operation Lighthouse II"
    assert searching.ids("zephyrdraft") == set()


def test_indexing_twice_doubles_nothing(searching, corpus):
    before = searching.search(size=0).total
    Indexer(searching.node.store, searching.node.gate, searching.node.search).reindex()
    searching.node.pipeline.ingest_objects(
        list(corpus.values()), Provenance(searching.node.store.node_organisation_id(), "import")
    )  # unchanged
    searching.index()
    stored_objects = {version.obj["id"] for version in searching.node.store.objects.iter_versions()}
    assert searching.search(size=0).total == before
    assert searching.node.search.count() == len(stored_objects)


def test_cli_search_and_lookup_print_one_json_document(searching, corpus):
    searching.cli("worker", "--once")
    out = orjson.loads(searching.cli("search", "lighthouse", "--filter", "type=campaign", "--json"))
    assert out["total"] == 1 and out["hits"][0]["id"] == corpus["lighthouse"]["id"] and "type" in out["facets"]
    out = orjson.loads(searching.cli("lookup", "news-lighthouse[.]example", "unknown.example", "--json", "--as", "fr-sync"))
    assert out["total"] == 2 and out["seen"] == 1 and out["results"][0]["ids"] == [corpus["domain"]["id"]]
    text = searching.cli("search", "選挙")
    assert text.startswith("1 hit\n") and corpus["todai"]["id"] in text
    result = searching.runner.invoke(main, ["search", "x", "--filter", "colour=red"], env=searching.env)
    assert result.exit_code == 1 and "unknown filter 'colour'" in result.output


# --------------------------------------------------------------------------- both engines, one answer

EN_WORDS = ["election", "narrative", "amplification", "forgery", "ministry", "maritime", "satellite", "phishing", "outlet", "proxy"]
JA_WORDS = ["選挙", "偽情報", "拡散", "工作", "海洋", "安全保障", "攻撃", "偽装", "報道", "干渉"]
HOST_SYLLABLES = ["ka", "zu", "mo", "ri", "te", "po", "su", "ne"]
LABELS = ["election", "defence", "health"]
AREAS = ["hybrid-fimi", "maritime", "space", "cyber"]


def differential_corpus(seed: int = 7, count: int = 300) -> list[dict]:
    import random

    rng = random.Random(seed)
    objects = []
    for n in range(count):
        day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:{n % 60:02d}.{n:03d}Z"
        language = rng.choice(["en", "ja", "both"])
        english = " ".join(rng.choices(EN_WORDS, k=6))
        japanese = "".join(rng.choices(JA_WORDS, k=5)) + "。"
        text = {"en": english, "ja": japanese, "both": f"{english} {japanese}"}[language]
        marking = [rng.choice([TLP_CLEAR, TLP_GREEN, TLP_GREEN, TLP_AMBER])]
        labels = {"labels": rng.sample(LABELS, rng.randint(1, 2))} if rng.random() < 0.6 else {}
        roll = rng.random()
        if roll < 0.4:
            host = "".join(rng.choices(HOST_SYLLABLES, k=4)) + rng.choice([".example", ".test"])
            objects.append(
                indicator(
                    f"[domain-name:value = '{host}']",
                    name=f"host {n}",
                    description=text,
                    created=day,
                    modified=day,
                    object_marking_refs=marking,
                    **labels,
                )
            )
        else:
            extension = {
                FIMI_EXTENSION: {"extension_type": "property-extension", "cooperation_areas": rng.sample(AREAS, rng.randint(1, 2))}
            }
            objects.append(
                sdo(
                    "campaign",
                    name=f"campaign {n}",
                    description=text,
                    created=day,
                    modified=day,
                    object_marking_refs=marking,
                    extensions=extension,
                    **labels,
                )
            )
    return objects


DIFFERENTIAL_QUERIES = [
    {},
    {"text": "election"},
    {"text": "narratives"},
    {"text": "phishing maritime"},
    {"text": "選挙"},
    {"text": "偽情報"},
    {"text": "安全保障 干渉"},
    {"text": "election 選挙"},
    {"text": "kazu"},
    {"text": "zupo.test"},
    {"text": "forgery", "filters": {"type": ("indicator",)}},
    {"filters": {"lang": ("ja",)}},
    {"filters": {"labels": ("election", "health")}},
    {"filters": {"area": ("maritime",)}, "text": "satellite"},
    {"filters": {"tlp": ("amber",)}},
    {"since": "2024-03-01T00:00:00Z", "until": "2024-06-30T23:59:59Z", "text": "outlet"},
    {"text": "proxy", "interval": "week"},
    {"text": "nothing-matches-this"},
]


@pytest.mark.elasticsearch
def test_both_engines_give_the_same_answers_on_the_same_data(tmp_path, elasticsearch_url):
    from fimishare.search.elastic import ElasticsearchEngine
    from fimishare.search.embedded import EmbeddedEngine

    setup = SearchNode({"FIMISHARE_HOME": str(tmp_path / "home"), "FIMISHARE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"})
    objects = differential_corpus()
    setup.ingest(objects)
    engines = [
        EmbeddedEngine(tmp_path / "embedded.sqlite"),
        ElasticsearchEngine(elasticsearch_url, f"fimishare-diff-{uuid.uuid4().hex[:8]}"),
    ]
    try:
        for engine in engines:
            Indexer(setup.node.store, setup.node.gate, engine).reindex()
        hosts = [o["pattern"].split("'")[1] for o in objects if o["type"] == "indicator"]
        for account in (None, "fr-sync"):
            readable = setup.node.gate.readable(setup.principal(account))
            totals = []
            for spec in DIFFERENTIAL_QUERIES:
                answers = []
                for engine in engines:
                    pages, after = [], None
                    while True:
                        result = engine.search(SearchQuery(**{**spec, "sort": "date", "size": 40, "after": after}), readable)
                        pages.append(result)
                        after = result.next
                        if after is None:
                            break
                    relevance = engine.search(SearchQuery(**{**spec, "size": 1000}), readable)
                    answers.append(
                        {
                            "total": pages[0].total,
                            "by date": [hit.id for page in pages for hit in page.hits],
                            "by relevance": sorted(hit.id for hit in relevance.hits),
                            "facets": pages[0].facets,
                            "histogram": pages[0].histogram,
                        }
                    )
                embedded, elastic = answers
                assert embedded == elastic, (account, spec)
                assert embedded["total"] == len(embedded["by date"]), spec
                totals.append(embedded["total"])
            assert 0 in totals and len(set(totals)) > len(totals) // 2  # the queries tell objects apart
            values = [*rng_values(hosts), "unseen.example", "kazu[.]test"]
            looked = [engine.lookup(values, readable) for engine in engines]
            assert looked[0] == looked[1]
            assert sum(1 for r in looked[0] if r.ids) > 10
    finally:
        engines[1].drop()
        for engine in engines:
            engine.close()
        setup.node.store.engine.dispose()


def rng_values(hosts: list[str]) -> list[str]:
    return [host.replace(".", "[.]") if n % 2 else host.upper() for n, host in enumerate(hosts[:40])]


# --------------------------------------------------------------------------- property: the index never shows more than the policy

MARKINGS = [TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED]
SOURCES = [("EEAS", None), ("JP-NISC", "jp-sync"), ("FR-VIGINUM", "fr-sync"), ("EEAS", "eeas-analyst")]


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(MARKINGS), st.sampled_from(SOURCES), st.booleans()), min_size=1, max_size=6),
    st.sampled_from(ACCOUNTS),
)
def test_search_shows_exactly_what_the_policy_lets_the_reader_read(searching, cells, account):
    tag = f"prop{uuid.uuid4().hex[:10]}"
    made = []
    for marking, (org, submitter), releasable in cells:
        refs = [marking]
        if releasable:
            refs.append(searching.only_jp["id"])
        obj = indicator(f"[domain-name:value = '{tag}-{len(made)}.example']", name=f"{tag} object", object_marking_refs=refs)
        searching.ingest([obj], org=org, account=submitter)
        made.append(obj)
    searching.index()
    node, principal = searching.node, searching.principal(account)
    latest = node.store.objects.latest_versions([o["id"] for o in made])
    readable = {object_id for object_id, version in latest.items() if node.gate.view(principal, version) is not None}
    assert searching.ids(tag, account) == readable
    looked = searching.lookup([f"{tag}-{n}.example" for n in range(len(made))], account)
    assert {i for r in looked for i in r.ids} == readable
