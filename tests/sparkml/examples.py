"""The SageMaker example bundles, hand-built: car-evaluation pre- and post-processor,
abalone featurizer, DBpedia tokenizer (CONTRACTS.md §5.2-5.4)."""

from __future__ import annotations

from pathlib import Path

from tests.sparkml.bundles import ints, node, shapes, string, strings, write_bundle

CAR_COLUMNS = {
    "buying": ["low", "med", "high", "vhigh"],
    "maint": ["low", "med", "high", "vhigh"],
    "doors": ["2", "3", "4", "5more"],
    "persons": ["2", "4", "more"],
    "lug_boot": ["small", "med", "big"],
    "safety": ["low", "med", "high"],
}
CAR_LABELS = ["unacc", "acc", "good", "vgood"]
CAR_SCHEMA = {
    "input": [{"name": name, "type": "string"} for name in CAR_COLUMNS],
    "output": {"name": "features", "type": "double", "struct": "vector"},
}
POST_SCHEMA = {
    "input": [{"name": "label", "type": "double"}],
    "output": {"name": "cat", "type": "string"},
}
TOKENIZER_SCHEMA = {
    "input": [{"name": "abstract", "type": "string"}],
    "output": {"name": "tokenized_abstract", "type": "string", "struct": "array"},
}


def car_preprocessor(directory: Path) -> Path:
    """6 StringIndexer + 6 OneHotEncoder (drop_last) + VectorAssembler: 13 ops, width 15."""
    indexers, encoders = [], []
    for name, labels in CAR_COLUMNS.items():
        indexers.append(
            node(
                "string_indexer",
                {
                    "labels_length": {"int": 1},
                    "labels_array_0": strings(labels),
                    "handle_invalid": string("error"),
                },
                {"input": name},
                {"output": f"indexed_{name}"},
            )
        )
        encoders.append(
            node(
                "one_hot_encoder",
                {
                    "category_sizes": ints([len(labels)]),
                    "drop_last": {"boolean": True},
                    "handle_invalid": string("error"),
                },
                {"input": f"indexed_{name}"},
                {"output": f"{name}_vec"},
            )
        )
    assembler = node(
        "vector_assembler",
        {"input_shapes": shapes(*(len(v) - 1 for v in CAR_COLUMNS.values()))},
        {f"input{i}": f"{name}_vec" for i, name in enumerate(CAR_COLUMNS)},
        {"output": "features"},
    )
    return write_bundle(directory, [*indexers, *encoders, assembler])


def car_postprocessor(directory: Path) -> Path:
    return write_bundle(
        directory,
        [
            node(
                "reverse_string_indexer",
                {"labels": strings(CAR_LABELS), "input_shape": {"data_shape": {"base": "scalar"}}},
                {"input": "label"},
                {"output": "cat"},
            )
        ],
    )


def tokenizer(directory: Path) -> Path:
    """A bare Tokenizer as the root, as the DBpedia example serializes it."""
    write_bundle(directory, [])
    root = directory / "root"
    for path in root.iterdir():
        path.unlink()
    (root / "model.json").write_text('{"op": "tokenizer", "attributes": {}}')
    (root / "node.json").write_text(
        '{"name": "Tokenizer_1", "shape": {"inputs": [{"port": "input", "name": "abstract"}],'
        ' "outputs": [{"port": "output", "name": "tokenized_abstract"}]}}'
    )
    return directory
