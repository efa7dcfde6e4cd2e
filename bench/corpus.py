"""A reproducible help-desk workload for bench/search_speed.py: articles and a query mix.

Articles are assembled from sentences and headings harvested from the bundled articles
(``articles/*.md``) and decision trees, with product names, error codes, versions, host names
and sites substituted in. Article ``i`` depends only on ``(seed, i)``, so a corpus of 10,000 starts
with the corpus of 1,000 and a query mix drawn from the first articles finds something at every
size. Codes, versions, hosts and sites are drawn partly from small "famous" sets (Zipf-weighted)
and partly fresh, so the vocabulary keeps growing with the corpus, as a real one does.

    from corpus import generate, query_mix
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeVar

import frontmatter
import yaml

from kb.search.documents import PUBLIC, STAFF, SearchDocument, plain_text
from kb.search.synonyms import words_of

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "articles"
TREES = REPO / "kb" / "decision_trees"
JUDGED = REPO / "tests" / "search" / "queries.yaml"

T = TypeVar("T")

# --- vocabulary -------------------------------------------------------------------------------

# (category, service, products). Twelve categories, twenty-five services.
PRODUCT_GROUPS: list[tuple[str, str, list[str]]] = [
    ("Email and calendar", "email", ["Outlook", "new Outlook", "Outlook for Mac",
        "Outlook mobile", "Exchange Online", "Outlook on the web", "shared mailbox",
        "distribution list", "Thunderbird", "Apple Mail", "calendar delegate",
        "Microsoft Bookings", "room mailbox"]),
    ("Email and calendar", "email-security", ["Mimecast", "Proofpoint", "quarantine digest",
        "phishing report button"]),
    ("Accounts and passwords", "identity", ["Microsoft Authenticator", "Okta Verify",
        "Duo Mobile", "Entra ID", "Active Directory", "self-service password reset",
        "Windows Hello", "YubiKey", "smart card", "single sign-on", "LastPass", "1Password",
        "Keeper"]),
    ("Network and remote access", "vpn", ["GlobalProtect", "Cisco AnyConnect", "FortiClient",
        "Pulse Secure", "WireGuard", "OpenVPN", "Zscaler", "Always On VPN"]),
    ("Network and remote access", "remote-desktop", ["Citrix Workspace", "VMware Horizon",
        "Remote Desktop", "Azure Virtual Desktop", "Windows 365 Cloud PC"]),
    ("Network and remote access", "wifi", ["eduroam", "guest Wi-Fi", "corporate Wi-Fi",
        "Meraki access point", "Aruba ClearPass", "Ethernet port", "proxy PAC file", "DNS"]),
    ("Printing", "printing", ["HP LaserJet M607", "HP LaserJet Pro M404",
        "HP Color LaserJet M555", "Canon imageRUNNER C3226", "Canon imageRUNNER ADVANCE C5535",
        "Xerox VersaLink C405", "Xerox AltaLink C8145", "Ricoh IM C3000", "Ricoh MP 2555",
        "Brother HL-L6200", "Kyocera TASKalfa 3253ci", "Konica Minolta bizhub C300i",
        "Lexmark MX622", "Zebra ZD421 label printer", "PaperCut", "follow-me printing",
        "Epson WorkForce Pro"]),
    ("Computers and devices", "endpoint", ["Dell Latitude 5440", "Dell Latitude 7430",
        "Dell XPS 13", "Dell OptiPlex 7010", "Lenovo ThinkPad T14", "Lenovo ThinkPad X1 Carbon",
        "Lenovo ThinkCentre M70q", "HP EliteBook 840 G9", "HP ProBook 450", "HP EliteDesk 800",
        "MacBook Air M2", "MacBook Pro 14", "Surface Laptop 5", "Surface Pro 9", "BitLocker",
        "Windows 11", "Windows 10", "macOS Sonoma", "Intune Company Portal"]),
    ("Computers and devices", "docking", ["Dell WD19 dock", "Lenovo USB-C Dock",
        "HP Thunderbolt Dock G4", "Logitech MX Keys", "Dell P2422H monitor",
        "Samsung ViewFinity monitor"]),
    ("Meetings and audio-video", "conferencing", ["Microsoft Teams", "Teams Rooms", "Zoom",
        "Zoom Rooms", "Webex", "Google Meet", "Jabra Evolve2 65", "Poly Voyager",
        "Logitech Rally", "Poly Studio X50", "Yealink MeetingBar", "Logitech Brio webcam",
        "Slack huddles"]),
    ("Meetings and audio-video", "telephony", ["Teams Phone", "Cisco Jabber", "RingCentral",
        "Avaya one-X", "Polycom VVX 450", "Cisco IP Phone 8841", "voicemail"]),
    ("Files and storage", "file-shares", ["H drive", "S drive", "mapped network drive",
        "DFS namespace", "Egnyte"]),
    ("Files and storage", "cloud-storage", ["OneDrive", "SharePoint", "Teams files",
        "Dropbox", "Box", "Google Drive"]),
    ("Files and storage", "backup", ["Veeam", "Windows File History", "Time Machine",
        "Druva inSync"]),
    ("Business applications", "erp", ["SAP GUI", "SAP Fiori", "Oracle E-Business Suite",
        "Dynamics 365", "NetSuite"]),
    ("Business applications", "finance", ["Concur", "Coupa", "expense portal",
        "timesheet portal"]),
    ("Business applications", "crm", ["Salesforce", "Salesforce Lightning", "HubSpot",
        "Zendesk"]),
    ("Business applications", "hr-systems", ["Workday", "UKG Pro", "BambooHR",
        "SuccessFactors", "Cornerstone"]),
    ("Software", "software", ["Adobe Acrobat Reader", "Adobe Acrobat Pro",
        "Adobe Creative Cloud", "Microsoft Word", "Microsoft Excel", "PowerPoint", "Visio",
        "Project Online", "Java Runtime", "Notepad++", "7-Zip", "Software Center",
        "Self Service portal", "Power BI", "Tableau"]),
    ("Software", "web-browsers", ["Google Chrome", "Microsoft Edge", "Firefox", "Safari"]),
    ("Software", "dev-tools", ["Jira", "Confluence", "GitHub Desktop", "GitLab",
        "Visual Studio Code", "Docker Desktop", "Postman"]),
    ("Mobile devices", "mobile", ["iPhone 15", "iPhone 13", "Samsung Galaxy S23", "Pixel 8",
        "iPad Air", "Android work profile", "Intune MDM", "Workspace ONE"]),
    ("Security", "security", ["Microsoft Defender", "CrowdStrike Falcon", "Sophos Endpoint",
        "Cisco Umbrella", "BitLocker recovery", "USB device control"]),
    ("Help desk procedures", "service-desk", ["ServiceNow portal", "Freshservice",
        "service desk chat", "new starter request", "leaver checklist", "asset tag",
        "loan laptop"]),
    ("Websites and intranet", "web", ["company intranet", "staff directory",
        "room booking site", "learning portal"]),
]  # fmt: skip

SYMPTOMS = [
    "keeps asking for my password", "won't start", "crashes on startup", "is very slow",
    "freezes every few minutes", "won't connect", "keeps disconnecting",
    "shows a certificate error", "says the license has expired", "can't sign in",
    "sync is stuck", "shows offline", "has no sound", "microphone not working",
    "camera not detected", "prints blank pages", "reports a paper jam",
    "print job stuck in queue", "not found on the network", "update failed",
    "install fails halfway", "toolbar is missing", "won't open attachments",
    "shows an error on launch", "blue screen after login", "battery drains fast",
    "screen flickers", "second monitor not detected", "keyboard not responding",
    "stuck on loading", "says access denied", "permission denied on save",
    "account locked after a few tries", "MFA prompt not arriving", "shows duplicate entries",
    "calendar not updating", "emails stuck in outbox", "can't share files",
    "file is locked for editing", "runs out of disk space", "fan is loud and hot",
    "won't charge", "Bluetooth won't pair", "drops calls", "echo during calls",
    "can't join meetings", "screen sharing shows black", "times out", "page won't load",
    "export to Excel fails", "report comes back empty", "session expired message",
    "redirect loop at sign in", "shows the wrong time zone", "fonts look blurry",
    "search returns nothing", "high CPU usage", "contacts not syncing",
    "tunnel drops every hour", "certificate expired warning",
]  # fmt: skip

CONTEXTS = [
    "after the Windows update", "after a password change", "when working from home",
    "on the guest Wi-Fi", "on a new laptop", "after reimaging", "on hotel Wi-Fi",
    "after docking", "when on battery", "for a shared mailbox", "for new starters",
    "after the monthly patch", "on macOS", "on a personal phone", "behind the proxy",
    "over the VPN", "in meeting rooms", "for contractors", "after a name change",
    "when offline", "during month-end close", "with two monitors", "on first login",
    "after the Office update", "when moving between buildings", "at the start of the day",
    "when printing large PDFs", "for external guests", "after migrating to Microsoft 365",
    "on the train with a hotspot",
]  # fmt: skip

TAGS = [
    "password", "mfa", "sign in", "vpn", "wifi", "printer", "printing", "email", "outlook",
    "teams", "zoom", "audio", "camera", "microphone", "laptop", "dock", "monitor", "battery",
    "bluetooth", "onedrive", "sharepoint", "sync", "file share", "permissions", "access",
    "license", "install", "update", "patch", "crash", "slow", "performance", "certificate",
    "browser", "proxy", "dns", "network", "remote", "citrix", "rdp", "mobile", "iphone",
    "android", "intune", "mdm", "bitlocker", "encryption", "security", "phishing", "malware",
    "backup", "restore", "sap", "salesforce", "workday", "expenses", "timesheet", "jira",
    "confluence", "calendar", "meeting room", "voicemail", "phone", "headset", "webcam",
    "new starter", "leaver", "loan", "hardware", "software", "error", "blue screen", "boot",
    "disk space", "keyboard", "scanner", "label printer", "quarantine", "spam", "sso",
]  # fmt: skip

CITIES = [
    "London", "Leeds", "Manchester", "Glasgow", "Dublin", "Paris", "Lyon", "Berlin", "Munich",
    "Hamburg", "Madrid", "Lisbon", "Milan", "Amsterdam", "Rotterdam", "Brussels", "Zurich",
    "Vienna", "Prague", "Warsaw", "Stockholm", "Oslo", "Helsinki", "Toronto", "Boston",
]  # fmt: skip
PLACES = [
    "Riverside", "Tower 2", "North Campus", "Harbour House", "Innovation Centre", "Park Lane",
    "Station Road", "Science Park", "Old Mill", "Data Centre", "Warehouse 3", "Quayside",
    "Market Street", "West Wing", "Lab Building",
]  # fmt: skip
HOST_PREFIXES = ["PRN", "SRV", "AP", "FS", "DC", "VPN", "RDS", "SQL", "APP", "WS"]

FAMOUS_CODES = [
    "0x80070005", "0x8004010F", "0x80070643", "0xC004F074", "0x800CCC0E", "0x80190001",
    "0xCAA20003", "0x80072EE2", "809", "691", "720", "619", "403", "500", "1603", "1618",
    "AADSTS50076", "AADSTS50053", "AADSTS700016", "AADSTS50158", "ERR_NAME_NOT_RESOLVED",
    "ERR_CONNECTION_RESET", "ERR_CERT_DATE_INVALID", "ERR_PROXY_CONNECTION_FAILED",
    "ERR_SSL_PROTOCOL_ERROR", "KB5034441", "KB5031455", "0x0000007B", "0x000000EF",
    "DPC_WATCHDOG_VIOLATION", "49-4200", "SC-541", "E-201", "0x8007045D",
]  # fmt: skip
HEX_PREFIXES = ["8007", "8004", "800C", "C004", "8019", "CAA2", "8009", "8024", "C1900"]
ERR_WORDS = [
    "CONNECTION", "NAME", "CERT", "PROXY", "SSL", "TUNNEL", "AUTH", "TOKEN", "SESSION",
    "DEVICE", "DRIVER", "SPOOLER", "LICENSE", "QUOTA", "SYNC", "TIMEOUT", "HANDSHAKE",
    "POLICY", "PROFILE", "MAILBOX",
]  # fmt: skip
ERR_STATES = [
    "RESET", "REFUSED", "INVALID", "EXPIRED", "FAILED", "DENIED", "NOT_FOUND", "MISMATCH",
    "BLOCKED", "CORRUPT", "LOCKED", "UNREACHABLE",
]  # fmt: skip

# Real-article names swapped for the synthetic article's product inside harvested sentences.
REAL_NAMES = re.compile(
    r"\b(Microsoft Teams|Teams|Outlook|OneDrive|SharePoint|GlobalProtect|Zoom|Authenticator|"
    r"Company Portal|Edge|Chrome|Word|Excel|BitLocker|Veeam)\b"
)

FACT_TEMPLATES = [
    "If {product} shows error {code}, close it, wait a minute and open it again.",
    "The message {code} means {product} could not reach {host}.",
    "Users at {site} reported this after upgrading {product} to version {version}.",
    "This is a known issue in {product} {version}; version {version2} fixes it.",
    "Technicians: check the event log on {host} for {code} around the time of the failure.",
    "At {site} the {product} traffic goes through {host}, so check that it answers first.",
    "Error {code} together with {code2} usually means the cached credentials are stale.",
    "Update {product} to {version} or later; older builds log {code} and stop.",
    "If you are at {site}, use the printer or access point {host} instead while we fix it.",
    "Escalate to the {service} team with the code {code} and the time it happened.",
]

FILLER_ENDINGS = ["since this morning", "please help", "for the whole team", "again today",
                  "and nobody knows why", "on my work account"]  # fmt: skip


# --- harvesting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    sentences: list[str]
    headings: list[str]
    bundled: list[SearchDocument]
    by_category: dict[str, list[str]]  # the sentences of the bundled articles of a category


SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


@cache
def pool() -> Pool:
    """Sentences and headings from the bundled articles and trees, and the articles themselves."""
    sentences: list[str] = []
    headings: list[str] = []
    bundled: list[SearchDocument] = []
    by_category: dict[str, list[str]] = {}
    for path in sorted(ARTICLES.glob("*.md")):
        post = frontmatter.load(path)
        meta = post.metadata
        bundled.append(
            SearchDocument(
                kind="article",
                slug=str(meta.get("slug") or path.stem),
                title=str(meta["title"]),
                summary=str(meta.get("summary") or ""),
                body=plain_text(post.content),
                tags=[str(tag) for tag in meta.get("tags") or []],
                category=str(meta.get("category") or ""),
                service=str(meta.get("service") or ""),
                visibility=PUBLIC if meta.get("audience", "public") == "public" else STAFF,
            )
        )
        for line in post.content.splitlines():
            if line.lstrip().startswith("#"):
                heading = re.sub(r"^#+\s*(\d+\.\s*)?", "", line.strip())
                if 2 <= len(heading) <= 60:
                    headings.append(heading)
            elif not line.lstrip().startswith(("|", "```")):
                found = _sentences(plain_text(line))
                sentences.extend(found)
                by_category.setdefault(str(meta.get("category") or ""), []).extend(found)
    for path in sorted(TREES.glob("*.json")):
        for node in json.loads(path.read_text(encoding="utf-8")).get("nodes", []):
            for key in ("text", "text_technician", "script"):
                sentences.extend(_sentences(str(node.get(key) or "")))
    unique = list(dict.fromkeys(sentences))
    topical = {name: list(dict.fromkeys(found)) for name, found in by_category.items()}
    return Pool(unique, list(dict.fromkeys(headings)), bundled, topical)


def _sentences(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        if "://" in line:
            continue
        for sentence in SENTENCE_SPLIT.split(line.strip()):
            if 5 <= len(sentence.split()) <= 40:
                found.append(sentence)
    return found


# --- articles ---------------------------------------------------------------------------------


TOPICAL_SHARE = 0.85  # sentences drawn from the article's own subject


@dataclass(frozen=True)
class Product:
    name: str
    category: str
    service: str


@cache
def products() -> list[Product]:
    return [
        Product(name, category, service)
        for category, service, names in PRODUCT_GROUPS
        for name in names
    ]


@dataclass
class Synthetic:
    """One generated article and what went into it (the query mix draws on this)."""

    doc: SearchDocument
    product: Product
    symptom: str
    context: str
    codes: list[str] = field(default_factory=list)


def zipf_choice(rng: random.Random, items: Sequence[T], s: float = 1.0) -> T:
    """An item with probability proportional to 1 / rank**s (the first items are common)."""
    weights = _zipf_weights(len(items), s)
    return rng.choices(items, cum_weights=weights)[0]


@cache
def _zipf_weights(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1 / (rank**s) for rank in range(1, n + 1)))


def error_code(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return zipf_choice(rng, FAMOUS_CODES)
    if roll < 0.7:
        return f"0x{rng.choice(HEX_PREFIXES)}{rng.randrange(16**4):04X}"[:10]
    if roll < 0.82:
        return str(rng.randint(100, 99999))
    if roll < 0.92:
        return f"ERR_{rng.choice(ERR_WORDS)}_{rng.choice(ERR_STATES)}"
    return f"AADSTS{rng.randint(50000, 900000)}"


def version(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"16.0.{rng.randint(14000, 18500)}.{rng.randint(20000, 20400)}"
    return f"{rng.randint(1, 24)}.{rng.randint(0, 12)}.{rng.randint(0, 40)}"


def site(rng: random.Random) -> str:
    return f"{zipf_choice(rng, CITIES, 0.8)} {zipf_choice(rng, PLACES, 0.8)}"


def host(rng: random.Random) -> str:
    city = zipf_choice(rng, CITIES, 0.8)[:3].upper()
    return f"{rng.choice(HOST_PREFIXES)}-{city}-{rng.randint(1, 60):02d}"


def make_title(rng: random.Random, product: Product, symptom: str, context: str, code: str) -> str:
    roll = rng.random()
    if roll < 0.5:
        title = f"{product.name} {symptom}"
    elif roll < 0.85:
        title = f"{product.name} {symptom} {context}"
    else:
        title = f"{product.name} error {code}"
    return title[0].upper() + title[1:]


def fact(rng: random.Random, product: Product, codes: list[str]) -> str:
    code, code2 = error_code(rng), error_code(rng)
    codes.extend((code, code2))
    return rng.choice(FACT_TEMPLATES).format(
        product=product.name,
        code=code,
        code2=code2,
        host=host(rng),
        site=site(rng),
        version=version(rng),
        version2=version(rng),
        service=product.service,
    )


def harvested(rng: random.Random, product: Product) -> str:
    """A sentence from the pool, its product names mostly replaced with this article's.

    Mostly from bundled articles on the same subject, as a real article about a printer talks
    about printing: drawing every sentence from every subject would make each word occur in a
    large share of the corpus, which no real knowledge base does."""
    topical = pool().by_category.get(product.category)
    source = topical if topical and rng.random() < TOPICAL_SHARE else pool().sentences
    sentence = zipf_choice(rng, source, 0.6)
    seen: list[str] = []

    def swap(match: re.Match[str]) -> str:
        """The first name becomes this article's product (mostly), later ones others."""
        chosen = product.name if not seen and rng.random() < 0.8 else rng.choice(products()).name
        seen.append(chosen)
        return chosen

    return REAL_NAMES.sub(swap, sentence)


def make_body(rng: random.Random, product: Product, codes: list[str]) -> str:
    """150-700 words in sections: harvested sentences, a few facts with codes and hosts."""
    target = rng.randint(150, 700)
    facts_left = rng.randint(1, 4)
    paragraphs: list[str] = []
    words = sentences = 0
    while (words < target or sentences < 8) and sentences < 45:
        heading = rng.choice(pool().headings)
        lines = []
        for _ in range(rng.randint(2, 6)):
            if words >= target and sentences >= 8:
                break
            if facts_left and rng.random() < 0.3:
                line = fact(rng, product, codes)
                facts_left -= 1
            else:
                line = harvested(rng, product)
            lines.append(line)
            words += len(line.split())
            sentences += 1
        paragraphs.append(heading + "\n" + " ".join(lines))
    return "\n\n".join(paragraphs)


def make_tags(rng: random.Random, product: Product, codes: list[str]) -> list[str]:
    tags = {product.name.split()[0].lower()}
    while len(tags) < rng.randint(2, 6):
        tags.add(zipf_choice(rng, TAGS, 0.7))
    if codes and rng.random() < 0.3:
        tags.add(codes[0].lower())
    return sorted(tags)


def synthetic(seed: int, number: int) -> Synthetic:
    """Article ``number`` of the corpus for ``seed``; independent of the corpus size."""
    rng = random.Random(seed * 1_000_003 + number)
    product = zipf_choice(rng, products(), 0.7)
    symptom = rng.choice(SYMPTOMS)
    context = rng.choice(CONTEXTS)
    codes: list[str] = [error_code(rng)]
    title = make_title(rng, product, symptom, context, codes[0])
    opener = harvested(rng, product)
    summary = f"{product.name} {symptom} {context}. {opener}"
    body = make_body(rng, product, codes)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] + f"-{number}"
    doc = SearchDocument(
        kind="article",
        slug=slug,
        title=title,
        summary=summary,
        body=body,
        tags=make_tags(rng, product, codes),
        category=product.category,
        service=product.service,
        visibility=PUBLIC if rng.random() < 0.8 else STAFF,
    )
    return Synthetic(doc, product, symptom, context, codes)


def generate(size: int, seed: int = 7) -> Iterator[SearchDocument]:
    """The bundled articles first, then generated ones: ``size`` documents in all."""
    bundled = pool().bundled[:size]
    yield from bundled
    for number in range(size - len(bundled)):
        yield synthetic(seed, number).doc


# --- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryMix:
    short: list[str]  # 1-4 words
    long: list[str]  # 8 or more words


def word_count(text: str) -> int:
    return len(words_of(text))


def judged_queries() -> list[str]:
    data = yaml.safe_load(JUDGED.read_text(encoding="utf-8"))
    return [str(item["q"]) for item in data["queries"]]


def typo(rng: random.Random, word: str) -> str:
    """One slip: a dropped, doubled or swapped letter (words under five letters are kept)."""
    if len(word) < 5:
        return word
    at = rng.randint(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at] + word[at:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def short_query(rng: random.Random, article: Synthetic) -> str:
    name_words = article.product.name.lower().split()
    symptom_words = article.symptom.lower().split()
    start = rng.randrange(len(symptom_words))
    window = symptom_words[start : start + rng.randint(1, 2)]  # "paper jam", "disk space"
    kind = rng.randrange(5)
    if kind == 0:  # product and symptom
        text = " ".join(name_words[:2] + window)
    elif kind == 1:  # an error code, alone or with the product
        code = rng.choice(article.codes)
        text = code if rng.random() < 0.5 else f"{name_words[0]} {code}"
    elif kind == 2:  # a typo in the product name
        text = " ".join([typo(rng, max(name_words, key=len)), *window])
    elif kind == 3:  # a few words of the symptom, no product
        text = " ".join(symptom_words[start : start + rng.randint(2, 3)])
    else:  # product and context
        context_words = [w for w in article.context.lower().split() if len(w) > 3]
        text = " ".join([name_words[0], *context_words[:2]])
    return " ".join(text.split()[:4]) if word_count(text) > 4 else text


def long_query(rng: random.Random, article: Synthetic) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        text = f"my {article.product.name} {article.symptom} {article.context}"
    elif kind == 1:
        text = f"how do i fix {article.product.name} when it {article.symptom} {article.context}"
    else:  # pasted from the article itself, as people paste error text
        words = article.doc.body.split()
        start = rng.randrange(max(1, len(words) - 12))
        text = " ".join(words[start : start + rng.randint(8, 12)])
    while word_count(text) < 8:
        text += " " + rng.choice(FILLER_ENDINGS)
    return " ".join(text.split()[:14])


def query_mix(seed: int, short: int, long: int) -> QueryMix:
    """A fixed mix: the judged queries of the right length (at most half of each class), then
    queries generated from the first generated articles, which every corpus size contains."""
    rng = random.Random(seed)
    judged = judged_queries()
    judged_short = [q for q in judged if 1 <= word_count(q) <= 4]
    judged_long = [q for q in judged if word_count(q) >= 8]
    articles = [synthetic(seed, number) for number in range(400)]
    shorts = rng.sample(judged_short, min(len(judged_short), short // 2))
    while len(shorts) < short:
        candidate = short_query(rng, rng.choice(articles))
        if 1 <= word_count(candidate) <= 4:
            shorts.append(candidate)
    longs = rng.sample(judged_long, min(len(judged_long), long // 2))
    while len(longs) < long:
        candidate = long_query(rng, rng.choice(articles))
        if word_count(candidate) >= 8:
            longs.append(candidate)
    rng.shuffle(shorts)
    rng.shuffle(longs)
    return QueryMix(shorts, longs)
