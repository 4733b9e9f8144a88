"""The default rubrics, written from the curriculum's own language: every week asks for
"architecture-level decision quality", "trade-offs, risks, and decision points … rationale
for stakeholder review", "measurable success criteria", "realistic tools, constraints, and
quality gates" and "professional publication quality". Installed by
`python manage.py rubrics_install_defaults` (and by seed_demo); editable in the admin."""

LEVELS = [("Exemplary", 4), ("Proficient", 3), ("Developing", 2), ("Beginning", 1)]

WEEKLY_RUBRIC = {
    "family": "weekly-deliverable",
    "title": "Weekly deliverable",
    "description": "Applies to every week's deliverable unless a week has its own rubric.",
    "criteria": [
        (
            "Architecture-level decision quality",
            "The concept analysis links the week's principles to the course outcomes and reasons at the level "
            "of the system's architecture, not only the code.",
            25,
            [
                "Decisions are framed at the architecture level, tied explicitly to the outcomes, and would "
                "survive a review by a senior engineer; alternatives are compared on system-wide effects.",
                "Decisions are sound and tied to the outcomes; the system-wide effects are named but not all "
                "are weighed.",
                "Decisions are mostly local (one component or the code) and the link to the outcomes is thin.",
                "Decisions are stated without reasoning, or the analysis restates the material without applying it.",
            ],
        ),
        (
            "Trade-off and risk reasoning",
            "The decision record names options, trade-offs, risks and decision points, with a rationale a "
            "stakeholder could review.",
            25,
            [
                "At least two real options with quantified trade-offs; risks carry likelihood, impact and a "
                "mitigation; decision points say when to revisit; the rationale reads well to a stakeholder.",
                "Options and trade-offs are clear; risks are named with mitigations; decision points are present "
                "but vague.",
                "One option dominates without a real comparison; risks are listed without mitigation.",
                "No comparison of options, or the trade-offs and risks are missing.",
            ],
        ),
        (
            "Measurable success criteria and evidence",
            "The implementation dossier sets measurable success criteria with target and measured values, and "
            "the evidence proves them.",
            20,
            [
                "Every criterion has a metric, a target and a measured value backed by attached evidence; the "
                "next actions follow from the gaps.",
                "Most criteria are measurable and measured; evidence covers the main claims.",
                "Criteria are partly measurable; measured values or evidence are missing for several.",
                "Criteria are not measurable, or nothing was measured.",
            ],
        ),
        (
            "Quality gates passed",
            "The lab ran in its realistic scenario with its tools and constraints, and the quality gates were "
            "run and reported honestly.",
            15,
            [
                "Every quality gate was run under the lab's constraints and passed, with the data shown; any "
                "earlier failure is explained and fixed.",
                "The gates were run; most passed and failures are explained with a plan.",
                "Some gates were not run, or results are asserted without data.",
                "The quality gates were not run.",
            ],
        ),
        (
            "Publication quality",
            "The deliverable is revised to professional publication quality: clear, concise, correct and "
            "ready for the portfolio.",
            15,
            [
                "Ready to publish as is: a concise outcome narrative, clean structure, correct terminology, "
                "proof artifacts chosen well.",
                "Clear and well organised; small edits would make it publishable.",
                "Understandable but uneven; needs restructuring or a clearer narrative.",
                "Hard to follow; not yet suitable for a reader outside the course.",
            ],
        ),
    ],
}

CAPSTONE_RUBRIC = {
    "family": "capstone-deliverable",
    "title": "Capstone deliverable",
    "description": "Applies to every capstone deliverable unless one has its own rubric.",
    "criteria": [
        (
            "Architecture-level decision quality",
            "The deliverable designs and defends the service's architecture as a whole.",
            30,
            [
                "The architecture is coherent end to end and defended against realistic alternatives and load.",
                "The architecture is sound; a few system-wide concerns are argued thinly.",
                "Parts are designed in isolation; the whole is not defended.",
                "No architectural reasoning beyond a component list.",
            ],
        ),
        (
            "Trade-off and risk reasoning",
            "Trade-offs, risks and decision points are architected and recorded for stakeholder review.",
            25,
            [
                "Trade-offs are quantified, risks are owned with mitigations and triggers, and the rationale is "
                "ready for a stakeholder review.",
                "Trade-offs and risks are clear with mitigations; triggers are vague.",
                "Trade-offs are asserted rather than compared; risks lack mitigations.",
                "Trade-offs and risks are missing.",
            ],
        ),
        (
            "Measurable success criteria and evidence",
            "Service-level objectives and success criteria are measured and proven with evidence.",
            20,
            [
                "Every objective is measured under load with evidence attached, and gaps become next actions.",
                "Most objectives are measured and evidenced.",
                "Several objectives are unmeasured or unproven.",
                "Nothing measurable is shown.",
            ],
        ),
        (
            "Quality gates and operations readiness",
            "Quality gates pass and the service is ready to operate: observability, runbooks, rollback.",
            15,
            [
                "All gates pass; dashboards, alerts, runbooks and a tested rollback are in place.",
                "Gates pass; operations readiness has small gaps.",
                "Some gates fail or operations readiness is largely missing.",
                "Gates were not run.",
            ],
        ),
        (
            "Publication quality",
            "The deliverable reads as a professional technical defense, ready for the portfolio.",
            10,
            [
                "A hiring manager could read it as is; concise narrative and well-chosen proof.",
                "Clear; small edits would make it publishable.",
                "Understandable but uneven.",
                "Not yet readable outside the course.",
            ],
        ),
    ],
}

# The default links of the weekly rubric's criteria to each week's outcome objectives. Every
# week of the curriculum words its four outcomes the same way, whatever the verb: the first
# links the principles to the outcomes "with architecture-level decision quality", the second
# works "in a guided scenario using realistic tools, constraints, and quality gates", the
# third records "trade-offs, risks, and decision points … rationale", the fourth is the
# "implementation dossier … with measurable success criteria". Outcome position (1–4, in the
# week's order) → the orders of the criteria that give evidence for it. Publication quality
# (criterion 5) serves the routine "revise … to professional publication quality", which is
# not judged.
WEEKLY_OBJECTIVE_LINKS: dict[int, tuple[int, ...]] = {1: (1,), 2: (4,), 3: (2,), 4: (3,)}
