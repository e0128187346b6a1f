#!/usr/bin/env python3
"""Benign model files made by the real scikit-learn, pandas, joblib and pickle pass the gate.

    python3 -m venv /tmp/rd && /tmp/rd/bin/pip install scikit-learn pandas joblib numpy lz4
    cargo build --release && /tmp/rd/bin/python samples/check_real_dumps.py target/release/aibom

Estimators fitted on string labels or categorical columns, encoders, vectorizers, pipelines,
DataFrames and Series with object, string and category columns, and object arrays are dumped
with `joblib.dump` (protocols 2 to 5, uncompressed, zlib and lz4) and `pickle.dump` (protocols
2 to 5), at two sizes, into a temporary directory; `aibom scan --fail-on high` must pass every
file (nothing high or critical). joblib writes an object array's data as a pickle of its own,
which a plain `pickle.load` reads with the outer memo: such files used to be reported critical.
Prints how many files of each kind were scanned and the medium findings they carry. Nothing is
loaded: the files are only written, and aibom reads them statically.
"""
import collections
import io
import json
import pickle
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

warnings.filterwarnings("ignore")


def objects(n):
    rng = np.random.default_rng(n)
    colours = np.array(["red", "green", "blue"], dtype=object)[rng.integers(0, 3, n)]
    labels = np.array(["spam", "ham"], dtype=object)[rng.integers(0, 2, n)]
    words = ["the cat sat", "a dog ran", "the bird flew", "a cat ran"]
    df = pd.DataFrame({
        "colour": colours,
        "size": np.array(["s", "m", "l"], dtype=object)[rng.integers(0, 3, n)],
        "x": rng.normal(size=n),
    })
    return {
        "label_encoder": LabelEncoder().fit(colours),
        "ordinal_encoder": OrdinalEncoder().fit(df[["colour", "size"]]),
        "onehot_encoder": OneHotEncoder().fit(df[["colour", "size"]]),
        "dict_vectorizer": DictVectorizer().fit([{"a": 1, "b": c} for c in colours]),
        "count_vectorizer": CountVectorizer().fit(words * (n // 4 + 1)),
        "tfidf_vectorizer": TfidfVectorizer().fit(words * (n // 4 + 1)),
        "imputer_most_frequent": SimpleImputer(strategy="most_frequent").fit(df[["colour"]]),
        "pipeline_categorical": Pipeline([
            ("prep", ColumnTransformer([("oh", OneHotEncoder(), ["colour", "size"]),
                                        ("sc", StandardScaler(), ["x"])])),
            ("lr", LogisticRegression()),
        ]).fit(df, labels),
        "tree_string_labels": DecisionTreeClassifier(max_depth=3).fit(df[["x"]], labels),
        "forest_string_labels": RandomForestClassifier(n_estimators=3, max_depth=3,
                                                       random_state=0).fit(df[["x"]], labels),
        "boosting_string_labels": GradientBoostingClassifier(n_estimators=3).fit(df[["x"]], labels),
        "dataframe_object_columns": df,
        "dataframe_category_column": df.astype({"colour": "category"}),
        "dataframe_string_dtype": df.astype({"size": "string"}),
        "dataframe_string_index": df.set_index("size"),
        "series_object": df["colour"],
        "categorical": pd.Categorical(colours),
        "object_array": colours,
        "list_of_arrays": [colours, labels, np.arange(3)],
        "list_encoder_then_array": [LabelEncoder().fit(labels), colours],
        "list_of_encoders": [OneHotEncoder().fit(df[["colour", "size"]])],
        "dict_of_mixed": {"encoder": LabelEncoder().fit(labels), "frame": df, "array": colours},
    }


def write_all(out):
    kinds = collections.Counter()
    for n in (6, 2000):
        for name, obj in objects(n).items():
            for proto in (2, 3, 4, 5):
                for comp in (0, 3, "lz4"):
                    path = out / f"{name}_n{n}_p{proto}_z{comp}.joblib"
                    joblib.dump(obj, path, compress=comp, protocol=proto)
                    kinds["joblib.dump"] += 1
                with open(out / f"{name}_n{n}_p{proto}.pkl", "wb") as f:
                    pickle.dump(obj, f, protocol=proto)
                kinds["pickle.dump"] += 1
    return kinds


def main():
    aibom = sys.argv[1] if len(sys.argv) > 1 else "target/release/aibom"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dumps"
        out.mkdir()
        kinds = write_all(out)
        run = subprocess.run([aibom, "scan", str(out), "--format", "json", "--fail-on", "high",
                              "--no-progress"], capture_output=True, text=True)
        if run.returncode not in (0, 1):
            sys.exit(f"aibom scan failed ({run.returncode}): {run.stderr}")
        report = json.loads(run.stdout)
    files = [f for t in report["targets"] for f in t["files"]]
    bad, medium, failing = [], collections.Counter(), set()
    for f in files:
        for x in f.get("findings", []):
            if x["severity"] in ("high", "critical"):
                bad.append(f"{f['path']}: {x['code']} ({x['severity']}): {x['message']}")
                failing.add(f["path"])
            else:
                medium[x["code"], x["severity"]] += 1
    print(f"check_real_dumps: {len(files)} files ({', '.join(f'{v} {k}' for k, v in kinds.items())}), "
          f"aibom scan exit {run.returncode}")
    for (code, sev), c in sorted(medium.items()):
        print(f"  {c} {code} ({sev})")
    if len(files) != sum(kinds.values()):
        sys.exit(f"scanned {len(files)} files, wrote {sum(kinds.values())}")
    if bad or run.returncode != 0:
        print("\n".join(bad[:50]), file=sys.stderr)
        sys.exit(f"{len(bad)} high or critical findings on {len(failing)} of {len(files)} benign files")


if __name__ == "__main__":
    main()
