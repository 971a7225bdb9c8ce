"""The man pages and the tools do not drift: every tool (tools/NAME/) has a page man/NAME.1.scd
and every section 1 page a program that the build made; each tool's --help options are exactly the options its page's OPTIONS
section documents; --version names the project version; every rendered page passes
`groff -man -ww` without a warning. Tools and pages are found by listing the folders, so a new
tool is checked without editing this file."""
import glob
import os
import re
import subprocess

from harness import case, run, run_tool, tool

BUILD = os.environ["UDPKIT_BUILD"]
SOURCE = os.environ["UDPKIT_SOURCE"]
VERSION = os.environ["UDPKIT_VERSION"]

OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][A-Za-z0-9-]*")


def tools():
    return sorted(os.path.basename(os.path.dirname(d))
                  for d in glob.glob(os.path.join(SOURCE, "tools", "*", "main.cpp")))


def tool_pages():
    return sorted(os.path.basename(p)[:-len(".1.scd")]
                  for p in glob.glob(os.path.join(SOURCE, "man", "*.1.scd")))


def help_options(name):
    """The options listed under 'Options:' in `name --help` (CLI11's layout: '  -h,--help ...')."""
    r = run_tool([tool(name), "--help"])
    assert r.returncode == 0, r.stderr
    listed = set()
    for line in r.stdout.split("\n"):
        m = re.match(r" +((?:-[A-Za-z],)?--[A-Za-z][A-Za-z0-9-]*)", line)
        if m:
            listed.update(m.group(1).split(","))
    assert "--help" in listed, r.stdout
    return listed


def page_options(name):
    """The options of the OPTIONS section of man/NAME.1.scd: its definition lines ('*--bind* ...')."""
    with open(os.path.join(SOURCE, "man", name + ".1.scd"), encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^# OPTIONS\n(.*?)(?=^# )", text, re.MULTILINE | re.DOTALL)
    assert section, f"man/{name}.1.scd has no OPTIONS section"
    documented = set()
    for line in section.group(1).split("\n"):
        if line.startswith("*-"):
            documented.update(OPTION.findall(line.replace("*", " ")))
    return documented


@case
def every_tool_has_a_page_and_every_page_a_program():
    assert tools(), "no tools found under tools/"
    assert set(tools()) <= set(tool_pages()), (tools(), tool_pages())
    for name in tool_pages():
        built = glob.glob(os.path.join(BUILD, "*", "**", name), recursive=True)
        assert any(os.access(p, os.X_OK) for p in built), f"man/{name}.1.scd: no program {name}"


@case
def every_help_option_is_in_the_man_page_and_back():
    drift = []
    for name in tools():
        listed, documented = help_options(name), page_options(name)
        if listed - documented:
            drift.append(f"{name}: in --help, not in man/{name}.1.scd: {sorted(listed - documented)}")
        if documented - listed:
            drift.append(f"{name}: in man/{name}.1.scd, not in --help: {sorted(documented - listed)}")
    assert not drift, "\n".join(drift)


@case
def version_names_the_project_version():
    for name in tools():
        r = run_tool([tool(name), "--version"])
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"{name} (udpkit) {VERSION}"), r.stdout


@case
def every_page_is_rendered_and_groff_has_no_warning():
    sources = glob.glob(os.path.join(SOURCE, "man", "*.scd"))
    assert len(sources) >= 5, sources
    for source in sources:
        page = os.path.join(BUILD, "man", os.path.basename(source)[:-len(".scd")])
        assert os.path.getsize(page) > 0, page
        r = subprocess.run(["groff", "-man", "-ww", "-z", page], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0 and not r.stderr, (page, r.stderr)


if __name__ == "__main__":
    run()
