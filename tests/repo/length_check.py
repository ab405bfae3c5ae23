#!/usr/bin/env python3
"""Counts what issue 14 asks to keep short: no source file over MAX_FILE lines and no function
over MAX_FUNC lines in the given folders (model/ by default), so a newcomer can read any function
on one screen and find a concept by its file name.

A brace-depth counter, not a C++ parser: comments, string/char literals (raw strings too) and
preprocessor lines are blanked first, then each `{` is classified by the text before it since the
last `;`, `{` or `}`. `namespace`, `extern "C"`, class/struct/union bodies are containers; a block
whose header has a `(` at container level is a function (or a lambda at namespace scope); any other
block (aggregate initialisers, enum bodies) is data. A function's length is the lines from its
opening brace to its closing brace, both included; its nested blocks and lambdas count toward it.

Files allowed to break a rule are listed, each with the reason, in the allow-list file: one
`path  reason` per line, `#` starts a comment. An entry that no longer breaks a rule is reported
as a note (it may be removed) but does not fail the check, so a branch that shortens a file does
not have to touch this list in the same commit.

Usage: length_check.py ROOT [--allow FILE] [--max-file N] [--max-func N] [DIR...]
Exit 0 when every file complies, 1 when one does not (one line per finding), 2 on bad usage.
"""
import argparse
import os
import re
import sys

SOURCE_EXT = (".cc", ".h", ".cpp", ".hpp")


def blank_non_code(text):
    """Returns text of the same length and line structure with comments, literals and
    preprocessor lines replaced by spaces, so braces inside them are not counted."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            out.append(c)
            i += 1
            at_line_start = True
            continue
        if at_line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if at_line_start and c == "#":  # a preprocessor line, with its `\` continuations
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")  # the directive goes on: keep the line count
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.extend(ch if ch == "\n" else " " for ch in text[i:end])
            i = end
            continue
        m = re.match(r'(?:u8|u|U|L)?R"([^()\\ ]{0,16})\(', text[i:i + 40])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = ")" + m.group(1) + '"'
            end = text.find(close, i + m.end())
            end = n if end < 0 else end + len(close)
            out.append('""')
            out.extend(ch if ch == "\n" else " " for ch in text[i + 2:end])
            i = end
            continue
        if c == '"' or (c == "'" and not _is_digit_separator(text, i)):
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c)
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _is_digit_separator(text, i):
    """C++14 digit separators (1'000'000) are not character literals."""
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_."):
        j -= 1
    return j < i and text[j].isdigit()


CONTAINER = re.compile(r'\b(namespace|extern\s*"")\b|\b(class|struct|union)\b[^()]*$')


def functions(code):
    """Yields (name, first_line, last_line) for every function body at container level."""
    stack = []  # one of "container", "function", "data" per open brace
    header_start = 0
    opened = []  # (kind, line, header) per open brace
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            header = " ".join(code[header_start:i].split())
            if "function" in stack:
                kind = "inner"
            elif CONTAINER.search(header):
                kind = "container"
            elif "(" in header:
                kind = "function"
            else:
                kind = "data"
            stack.append(kind)
            opened.append((kind, line, header))
            header_start = i + 1
        elif c == "}":
            if stack:
                kind, first, header = opened.pop()
                stack.pop()
                if kind == "function":
                    yield _name(header), first, line
            header_start = i + 1
        elif c == ";":
            header_start = i + 1


def _name(header):
    head = header.split("(", 1)[0].rstrip()
    if head.endswith("]") or head == "":
        return "lambda"
    m = re.search(r"([~\w:<>,]*(?:operator\s*\S+|[~\w]+))\s*$", head)
    return m.group(1) if m else head[-40:]


def load_allow(path):
    allow = {}
    if not path:
        return allow
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            entry = raw.split("#", 1)[0].strip()
            if not entry:
                continue
            parts = entry.split(None, 1)
            if len(parts) < 2:
                print(f"{path}:{n}: error: allow-list entry '{parts[0]}' has no reason", file=sys.stderr)
                sys.exit(2)
            allow[parts[0]] = parts[1]
    return allow


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root")
    ap.add_argument("dirs", nargs="*", default=["model"])
    ap.add_argument("--allow")
    ap.add_argument("--max-file", type=int, default=800)
    ap.add_argument("--max-func", type=int, default=120)
    args = ap.parse_intermixed_args()
    allow = load_allow(args.allow)

    findings, used, files = [], set(), 0
    for d in args.dirs:
        top = os.path.join(args.root, d)
        if not os.path.isdir(top):
            print(f"length_check: no folder {top}", file=sys.stderr)
            return 2
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for fn in sorted(filenames):
                if not fn.endswith(SOURCE_EXT):
                    continue
                path = os.path.join(dirpath, fn)
                rel = os.path.relpath(path, args.root)
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                files += 1
                bad = []
                nlines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
                if nlines > args.max_file:
                    bad.append(f"{rel}:1: file has {nlines} lines (limit {args.max_file})")
                for name, first, last in functions(blank_non_code(text)):
                    if last - first + 1 > args.max_func:
                        bad.append(f"{rel}:{first}: function {name} has {last - first + 1} lines "
                                   f"(limit {args.max_func})")
                if rel in allow:
                    if bad:
                        used.add(rel)
                    continue
                findings.extend(bad)
    for f in findings:
        print(f)
    for rel in sorted(set(allow) - used):
        print(f"note: allow-list entry {rel} no longer breaks a rule (or is gone): remove it")
    if findings:
        print(f"length_check: {len(findings)} finding(s) in {files} files "
              f"(files <= {args.max_file} lines, functions <= {args.max_func} lines)")
        return 1
    print(f"length_check: {files} files, none over {args.max_file} lines and no function over "
          f"{args.max_func} lines outside the allow-list ({len(used)} allowed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
