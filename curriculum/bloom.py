"""The six levels of Bloom's revised taxonomy and the starting verb → level mapping."""

LEVELS = [
    (1, "remember", "Remember", "Recall facts and basic concepts."),
    (2, "understand", "Understand", "Explain ideas or concepts."),
    (3, "apply", "Apply", "Use information in new situations."),
    (4, "analyze", "Analyze", "Draw connections among ideas."),
    (5, "evaluate", "Evaluate", "Justify a stand or decision."),
    (6, "create", "Create", "Produce new or original work."),
]

VERBS = {
    "remember": ["define", "identify", "list", "recall", "recognize", "state"],
    "understand": ["classify", "describe", "discuss", "explain", "interpret", "summarize"],
    "apply": ["apply", "demonstrate", "execute", "implement", "operate", "use"],
    "analyze": ["analyze", "compare", "contrast", "differentiate", "examine", "investigate", "trace"],
    "evaluate": ["appraise", "assess", "critique", "defend", "evaluate", "judge", "justify", "prioritize"],
    "create": ["architect", "build", "compose", "construct", "design", "develop", "formulate", "optimize", "plan"],
}


def ensure_bloom_taxonomy(level_model, verb_model) -> None:
    """Fill in missing levels and verbs; never overwrite a verb an admin re-mapped.
    Takes the model classes so the data migration can pass its historical models."""
    for rank, key, name, description in LEVELS:
        level, _ = level_model.objects.update_or_create(
            key=key, defaults={"rank": rank, "name": name, "description": description}
        )
        for verb in VERBS[key]:
            verb_model.objects.get_or_create(verb=verb, defaults={"level": level})
