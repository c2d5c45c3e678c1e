#!/usr/bin/env python3
"""An independent reference for `consentry filter`, written from the rules in the README with
Python's json module, to check the gate against on a generated file with every reason present.

  reference.py generate SNAPSHOT OUT.jsonl        write records covering every drop reason
  reference.py check SNAPSHOT IN.jsonl KEPT.jsonl REPORT.json
                                                  recompute what to keep; compare bytes and counts
Decisions come from a snapshot written by `consentry snapshot` (tab-separated, see README). The
gate runs with --time-field created_at --category-field category --reservation-field tdm
--text-field text; the snapshot's `# third_party` lines are the non-members' objections.
"""
import datetime
import decimal
import json
import random
import re
import sys

MEMBER, TIME, CATEGORY, RESERVATION, TEXT = "member_id", "created_at", "category", "tdm", "text"


def read_snapshot(path):
    header, members = {"third_party": []}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# third_party\t"):
                objection, identifiers = line[len("# third_party\t"):].split("\t", 1)
                header["third_party"].append((objection, json.loads(identifiers)))
            elif line.startswith("# "):
                key, _, value = line[2:].partition("\t")
                header[key] = value
            elif line != "member\teligible\treason\tusable_from":
                member, eligible, reason, usable = line.split("\t")
                members[member] = (eligible == "true", reason, usable or None)
    return header, members


DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def micros_of_text(text):
    """RFC 3339 instant or a date, as microseconds since the epoch; None if unreadable."""
    m = DATE.match(text)
    try:
        if m:
            d = datetime.date(int(m[1]), int(m[2]), int(m[3]))
            return (d - datetime.date(1970, 1, 1)).days * 86_400_000_000
        m = INSTANT.match(text)
        if not m:
            return None
        d = datetime.date(int(m[1]), int(m[2]), int(m[3]))
        h, mi, s = int(m[4]), int(m[5]), int(m[6])
        if h > 23 or mi > 59 or s > 59:
            return None
        frac = int((m[7][1:] + "000000")[:6]) if m[7] else 0
        offset = 0
        if m[8] not in ("Z", "z"):
            oh, om = int(m[8][1:3]), int(m[8][4:6])
            if oh > 23 or om > 59:
                return None
            offset = (oh * 3600 + om * 60) * (-1 if m[8][0] == "-" else 1)
        seconds = (d - datetime.date(1970, 1, 1)).days * 86400 + h * 3600 + mi * 60 + s - offset
        return seconds * 1_000_000 + frac
    except ValueError:
        return None


def micros_of_number(value):
    return int(decimal.Decimal(value) * 1_000_000)


def reserves(value):
    """Whether a reservation value says "do not train" (docs/gate.md): TDMRep, AIPREF, CAWG."""
    if value is None:
        return False
    if isinstance(value, bool) or not isinstance(value, (str, int, decimal.Decimal)):
        return True
    if not isinstance(value, str):
        return value != 0
    text = value.strip(" ")
    if text in ("0", "allowed"):
        return False
    if text in ("1", "notAllowed", "constrained"):
        return True
    says = False
    for entry in text.split(","):
        item = entry.split(";", 1)[0].strip(" ")
        key, eq, answer = item.partition("=")
        if not eq or not key.strip(" "):
            return True
        says = True
        if key.strip(" ") in ("train-ai", "train-genai") and answer.strip(" ") != "y":
            return True
    return not says


def identifier(text):
    """(kind, pattern) of what a non-member gave, as docs/gate.md describes; None if blank."""
    text = "".join(chr(ord(c) | 0x20) if "A" <= c <= "Z" else c for c in text.strip())
    m = re.match(r"^([a-z]+)://(.*)$", text)
    rest = m[2] if m else (text if text.startswith("www.") else None)
    if rest is not None:
        rest = rest[4:] if rest.startswith("www.") else rest
        rest = rest.split("#", 1)[0]
        cut = min([i for i in (rest.find("/"), rest.find("?")) if i >= 0], default=len(rest))
        host, path = rest[:cut], rest[cut:]
        for port in (":80", ":443"):
            if host.endswith(port):
                host = host[: -len(port)]
        if "?" not in path:
            path = path.rstrip("/")
        if host and " " not in host:
            return ("link", host + path)
    if text.startswith("@"):
        return ("handle", text) if len(text) > 1 else None
    words = re.split(r"[ \t\n\r]+", text)
    words = [w for w in words if w]
    return ("name", " ".join(words)) if words else None


def fold(text):
    text = "".join(chr(ord(c) | 0x20) if "A" <= c <= "Z" else c for c in text)
    return re.sub(r"[ \t\n\r]+", " ", text)


def is_word(c):
    return c.isascii() and (c.isalnum() or c == "_") or not c.isascii()


def names_someone(text, patterns):
    """Whether the folded `text` holds one of (kind, pattern) whole."""
    for kind, pattern in patterns:
        start = text.find(pattern)
        while start >= 0:
            end = start + len(pattern)
            before = text[start - 1] if start > 0 else None
            after = text[end] if end < len(text) else None
            if kind == "link":
                ok = not (before and (is_word(before) or before == "-")) and not (after and (is_word(after) or after in "-.%~"))
            elif kind == "handle":
                ok = not (before and is_word(before)) and not (after and is_word(after))
            else:
                ok = not (is_word(pattern[0]) and before and is_word(before)) and not (is_word(pattern[-1]) and after and is_word(after))
            if ok:
                return True
            start = text.find(pattern, start + 1)
    return False


def judge(raw, members, as_of, lookback, allowed, third_party=()):
    """The drop reason of one line (bytes, without its newline), or None to keep it."""
    text = raw.decode("utf-8", errors="surrogateescape")
    def no_constants(name):
        raise ValueError(name)
    try:
        value = json.loads(text, object_pairs_hook=lambda pairs: pairs, parse_constant=no_constants,
                           parse_float=decimal.Decimal)
    except ValueError:
        return "malformed"
    if not isinstance(value, list) or text.strip()[:1] != "{":
        return "malformed"
    ids = [v for k, v in value if k == MEMBER]
    if len(ids) != 1:
        return "missing_member"
    member = ids[0]
    if isinstance(member, bool) or not isinstance(member, (str, int)) or member == "":
        return "missing_member"
    member = str(member)
    if member not in members:
        return "member_unknown"
    eligible, reason, usable = members[member]
    if not eligible:
        return reason
    categories = [v for k, v in value if k == CATEGORY]
    category = categories[-1] if categories else None
    if category is None:
        return "missing_category"
    if not isinstance(category, str) or category not in allowed:
        return "category_not_allowed"
    reservations = [v for k, v in value if k == RESERVATION]
    if reserves(reservations[-1] if reservations else None):
        return "rights_reserved"
    texts = [v for k, v in value if k == TEXT]
    fields = [member] + ([texts[-1]] if texts and isinstance(texts[-1], str) else [])
    if any(names_someone(fold(field), third_party) for field in fields):
        return "third_party_objection"
    times = [v for k, v in value if k == TIME]
    t = times[-1] if times else None
    if isinstance(t, str):
        t = micros_of_text(t)
    elif isinstance(t, (int, decimal.Decimal)) and not isinstance(t, bool):
        t = micros_of_number(t)
    else:
        t = None
    if t is None:
        return "missing_time"
    if t > as_of:
        return "after_as_of"
    if usable and t < micros_of_text(usable):
        return "created_while_minor"
    if lookback is not None and t < lookback:
        return "before_lookback"
    return None


def generate(snapshot, out):
    header, members = read_snapshot(snapshot)
    rng = random.Random(20261129)
    ids = sorted(members)
    minors_to_be = [m for m in ids if members[m][0] and members[m][2]]
    lines = []
    for i in range(6000):
        member = rng.choice(ids)
        when = f"{rng.randint(2004, 2027)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
        kind = i % 20
        record = {"post": i, "text": rng.choice(['say "member_id": 1', "caf\u00e9 \u65e5\u672c", "plain", 'back\\slash'])}
        if rng.random() < 0.08:
            record["text"] = rng.choice(["Lunch with ALEX  Example today", "see https://example.com/posts/1/", "cc @Alex_Example!",
                                         "alexander example", "example.com/posts/10", "Alex\nExample", "x@alex_example.org",
                                         "www.example.com/posts/1?ref=feed", "the alex examples"])
        if kind == 0:
            lines.append(b'{"member_id": "' + member.encode() + b'", "broken": ')
            continue
        if kind == 1:
            lines.append(json.dumps({"text": "no member", TIME: when}).encode())
            continue
        if kind == 2:
            member = "urn:li:member:unknown-" + str(i)
        if kind == 3:
            when = "sometime"
        if kind == 4 and minors_to_be:
            member = rng.choice(minors_to_be)
            birthday = members[member][2]
            when = f"{int(birthday[:4]) - 1}{birthday[4:]}T12:00:00Z"
        if kind == 5:
            when = "2019-06-01"
        if kind == 6:
            when = rng.randint(1_577_836_800, 1_790_000_000)
        if kind == 7:
            when = f"2023-05-0{rng.randint(1, 9)}T10:00:00.25+02:00"
        fields = [("post", i), (TIME, when), (MEMBER, member)]
        roll = rng.random()
        if roll < 0.8:
            fields.append((CATEGORY, "content.posts" if rng.random() < 0.7 else "content.comments"))
        elif roll < 0.95:
            fields.append((CATEGORY, rng.choice(["messages.private", "account.email", "blog", 7, "content\u002eposts"])))
        elif roll < 0.975:
            fields.append((CATEGORY, None))
        if rng.random() < 0.2:
            fields.append((RESERVATION, rng.choice(["0", 0, "allowed", "train-ai=y, search=n", None, "1", 1, "notAllowed",
                                                    "constrained", "train-ai=n", "search=y;v=1, train-genai=n", True, "maybe"])))
        if kind == 8:
            fields = [(MEMBER, member), ("nested", {MEMBER: "urn:li:member:1", TIME: "2024-01-01"}), (TIME, when)]
        rng.shuffle(fields)
        record.update(fields)
        line = json.dumps(record, ensure_ascii=(i % 2 == 0)).encode()
        if kind == 9:
            line += b"\r"
        lines.append(line)
    with open(out, "wb") as f:
        f.write(b"\n".join(lines))  # the last line has no newline


def check(snapshot, path, kept_path, report_path):
    header, members = read_snapshot(snapshot)
    as_of = micros_of_text(header["as_of"])
    lookback = None if header["lookback_start"] == "-" else micros_of_text(header["lookback_start"])
    allowed = set(header["categories"].split(","))
    third_party = [p for _, identifiers in header["third_party"] for p in map(identifier, identifiers) if p]
    data = open(path, "rb").read()
    expected, counts = [], {}
    for raw in data.split(b"\n") if not data.endswith(b"\n") else data[:-1].split(b"\n"):
        reason = judge(raw, members, as_of, lookback, allowed, third_party)
        if reason is None:
            expected.append(raw + b"\n")
        else:
            counts[reason] = counts.get(reason, 0) + 1
    kept = open(kept_path, "rb").read()
    report = json.load(open(report_path))
    gate_counts = {k: v for k, v in report["dropped"].items() if v}
    problems = []
    if kept != b"".join(expected):
        gate_lines = kept.count(b"\n")
        problems.append(f"kept records differ: gate {gate_lines} lines, reference {len(expected)}")
    if gate_counts != counts:
        problems.append(f"counts differ:\n  gate      {sorted(gate_counts.items())}\n  reference {sorted(counts.items())}")
    reasons = {"malformed", "missing_member", "member_unknown", "missing_category", "category_not_allowed", "rights_reserved",
               "third_party_objection", "missing_time", "after_as_of", "created_while_minor", "before_lookback"}
    missing = reasons - set(counts)
    if missing:
        problems.append(f"the generated file does not exercise {sorted(missing)}")
    if problems:
        print("reference: " + "\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"reference: gate and reference agree: {len(expected)} kept, "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    if sys.argv[1:2] == ["generate"]:
        generate(*sys.argv[2:4])
    elif sys.argv[1:2] == ["check"]:
        check(*sys.argv[2:6])
    else:
        sys.exit(__doc__)
