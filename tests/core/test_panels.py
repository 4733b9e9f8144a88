from django.template import Context, Template

from core.panels import Panel, PanelSlot


def test_a_slot_groups_the_panels_of_every_provider_by_placement_and_order():
    slot = PanelSlot("page")

    def first(*, subject):
        return [Panel("a.html", {"n": subject}, placement="lab", order=20), Panel("b.html", placement="top")]

    def second(*, subject):
        return [Panel("c.html", placement="lab", order=10)]

    slot.register(first)
    slot.register(second)
    slot.register(first)  # a second ready() must not show a panel twice

    placed = slot.panels(subject=7)

    assert [panel.template for panel in placed["lab"]] == ["c.html", "a.html"]
    assert [panel.template for panel in placed["top"]] == ["b.html"]
    assert placed["concept"] == [] and "concept" not in placed and "lab" in placed
    assert placed["lab"][1].context == {"n": 7}


def test_an_empty_slot_renders_nothing_and_a_template_reads_a_placement_by_name():
    slot = PanelSlot("page")
    template = Template("{% for panel in panels.lab %}[{{ panel.context.n }}]{% empty %}none{% endfor %}")

    assert not slot.panels()
    assert template.render(Context({"panels": slot.panels()})) == "none"

    slot.register(lambda: [Panel("x.html", {"n": 3}, placement="lab")])
    assert template.render(Context({"panels": slot.panels()})) == "[3]"
    slot.unregister(slot._providers[0])
    assert not slot.panels()


def test_a_slot_gives_its_providers_key_parts_or_none_when_one_did_not_say():
    slot = PanelSlot("page")
    versions = {"a": 1}

    def versioned(*, subject):
        return [Panel("a.html")]

    def unversioned(*, subject):
        return [Panel("b.html")]

    slot.register(versioned, key=lambda *, subject: (subject, versions["a"]))
    first = slot.key_parts(subject=7)
    versions["a"] = 2  # the provider's app bumped its version
    assert slot.key_parts(subject=7) != first and slot.key_parts(subject=8) != slot.key_parts(subject=7)
    slot.register(unversioned)
    assert slot.key_parts(subject=7) is None  # a page cached whole would miss this panel's changes
    slot.unregister(unversioned)
    assert slot.key_parts(subject=7) == slot.key_parts(subject=7) is not None
    assert PanelSlot("empty").key_parts(subject=7) == ()
