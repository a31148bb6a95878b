"""Validators for every document vmstate-inspect writes, shared by
contract.py and injection.py: JSON (strict UTF-8), SARIF 2.1.0 (the OASIS
JSON schema shipped in tests/sarif/, validated by Debian's python3-jsonschema,
URIs checked by python3-rfc3987 when installed), JUnit XML (parsed by
Debian's python3-junitparser) and text for a terminal (UTF-8, no control
byte but LF and TAB)."""
import json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import jsonschema
    import junitparser
except ImportError as e:  # the .test wrapper picks a python that has them
    print("needs python3-jsonschema and python3-junitparser (tools/install-deps.sh): %s" % e)
    sys.exit(99)
try:
    import rfc3987
except ImportError:
    rfc3987 = None

_SCHEMA = json.load(open(os.path.join(HERE, "sarif", "sarif-schema-2.1.0.json")))
_FORMATS = jsonschema.FormatChecker()
_VALIDATOR = jsonschema.Draft4Validator(_SCHEMA, format_checker=_FORMATS)
_CTRL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


class Invalid(Exception):
    pass


def text(data):
    """Text for a terminal: valid UTF-8, no ESC, CR or other control bytes."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid("text is not UTF-8: %s" % e)
    m = _CTRL.search(data)
    if m:
        raise Invalid("control byte %r in text at %d: %r" % (m.group(), m.start(),
                                                              data[max(0, m.start() - 20):m.start() + 20]))
    return data.decode()


def json_doc(data):
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid("JSON is not UTF-8: %s" % e)
    try:
        return json.loads(s)
    except ValueError as e:
        raise Invalid("not JSON: %s" % e)


def _uris(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "uri" and isinstance(v, str):
                yield v
            else:
                yield from _uris(v)
    elif isinstance(o, list):
        for v in o:
            yield from _uris(v)


def sarif(data):
    doc = json_doc(data)
    errs = sorted(_VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    if errs:
        raise Invalid("SARIF schema: %s at %s" % (errs[0].message[:300], list(errs[0].path)))
    for u in _uris(doc):
        if re.search(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]", u) or \
           re.search(r"%(?![0-9A-Fa-f]{2})", u):
            raise Invalid("SARIF uri %r is not a URI reference" % u)
        if rfc3987 and not rfc3987.match(u, rule="URI_reference"):
            raise Invalid("SARIF uri %r is not an RFC 3986 URI reference" % u)
    rules = [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]
    for r in doc["runs"][0].get("results", []):
        if r["ruleId"] not in rules or rules[r["ruleIndex"]] != r["ruleId"]:
            raise Invalid("SARIF result rule %s not declared at %s" % (r["ruleId"], r["ruleIndex"]))
    return doc


def junit(data, path):
    """Parse with junitparser; returns (tests, failures, errors, cases)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid("JUnit is not UTF-8: %s" % e)
    with open(path, "wb") as f:
        f.write(data)
    try:
        xml = junitparser.JUnitXml.fromfile(path)
    except Exception as e:  # lxml/ElementTree parse errors
        raise Invalid("JUnit XML does not parse: %s" % e)
    tests = failures = errors = 0
    cases = []
    for suite in xml:
        t = f = e = 0
        for case in suite:
            t += 1
            kinds = [type(r).__name__ for r in case.result]
            f += "Failure" in kinds
            e += "Error" in kinds
            cases.append((case.classname, case.name, kinds))
        if (suite.tests, suite.failures, suite.errors) != (t, f, e):
            raise Invalid("JUnit suite counts %s/%s/%s, cases say %s/%s/%s" %
                          (suite.tests, suite.failures, suite.errors, t, f, e))
        tests, failures, errors = tests + t, failures + f, errors + e
    return tests, failures, errors, cases


def any_doc(fmt, data, tmp):
    if fmt == "json":
        return json_doc(data)
    if fmt == "sarif":
        return sarif(data)
    if fmt == "junit":
        return junit(data, os.path.join(tmp, "junit.xml"))
    return text(data)
