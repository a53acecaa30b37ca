"""Candidate classifiers, their preprocessing and their search spaces.

Four families, each a scikit-learn ``Pipeline`` (preprocessing → model) built from the feature
schema:

- ``logistic_regression``: one-hot categories (rare ones pooled), median-imputed and scaled
  numbers with missing indicators;
- ``random_forest``, ``gradient_boosting`` (scikit-learn's histogram gradient boosting) and
  ``xgboost``: one column per feature — categories as codes (native categorical splits in
  gradient boosting and XGBoost), numbers as they are (missing values handled by the trees) —
  so XGBoost's per-feature contributions map one-to-one onto the request's fields.

Categorical features with more than ``MAX_CATEGORIES`` values (ICD-9 codes, districts) are
target-encoded instead, in every family: scikit-learn's ``TargetEncoder`` learns each value's
shrunk positive rate with internal cross-fitting, so a row's own label never feeds its encoding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler, TargetEncoder
from xgboost import XGBClassifier

from vigia.risk.task import Feature

MAX_CATEGORIES = 64  # per categorical feature; rarer values share one code
MIN_FREQUENCY = 20  # a category seen fewer times is pooled with the other rare ones
# Each fit runs on one thread: the search parallelises over candidates and folds instead, which
# on a small shared machine is far faster than threads that spin while waiting for a core.
N_JOBS = 1

FAMILIES = ("logistic_regression", "random_forest", "gradient_boosting", "xgboost")

# Search spaces (scikit-learn parameter names inside the pipeline).
SEARCH_SPACES: dict[str, dict[str, list[Any]]] = {
    "logistic_regression": {"model__C": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]},
    "random_forest": {
        "model__max_depth": [8, 12, 16, None],
        "model__min_samples_leaf": [5, 20, 50],
        "model__max_features": ["sqrt", 0.3, 0.5],
    },
    "gradient_boosting": {
        "model__learning_rate": [0.03, 0.05, 0.1],
        "model__max_iter": [200, 400],
        "model__max_leaf_nodes": [15, 31, 63],
        "model__min_samples_leaf": [20, 50, 100],
        "model__l2_regularization": [0.0, 1.0, 10.0],
    },
    "xgboost": {
        "model__n_estimators": [200, 400, 700],
        "model__learning_rate": [0.02, 0.05, 0.1],
        "model__max_depth": [3, 4, 5, 6],
        "model__min_child_weight": [1, 5, 20],
        "model__subsample": [0.7, 0.9],
        "model__colsample_bytree": [0.5, 0.8],
        "model__reg_lambda": [1.0, 5.0],
    },
}


def is_high_cardinality(feature: Feature) -> bool:
    """A categorical feature with too many values to one-hot or code: target-encoded."""
    return feature.kind == "categorical" and feature.levels > MAX_CATEGORIES


def target_encoder(seed: int) -> TargetEncoder:
    return TargetEncoder(target_type="binary", cv=KFold(5, shuffle=True, random_state=seed))


def linear_preprocessor(features: list[Feature], seed: int = 0) -> ColumnTransformer:
    """One-hot categories, imputed and scaled numbers (for logistic regression)."""
    categorical = [
        f.name for f in features if f.kind == "categorical" and not is_high_cardinality(f)
    ]
    encoded = [f.name for f in features if is_high_cardinality(f)]
    numeric = [f.name for f in features if f.kind == "numeric"]
    return ColumnTransformer(
        [
            ("encoded", make_pipeline(target_encoder(seed), StandardScaler()), encoded),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(
                        handle_unknown="infrequent_if_exist",
                        min_frequency=MIN_FREQUENCY,
                        max_categories=MAX_CATEGORIES,
                    ),
                ),
                categorical,
            ),
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                numeric,
            ),
        ],
        sparse_threshold=0.0,
    )


def _column_encoder(feature: Feature, seed: int) -> Any:
    if is_high_cardinality(feature):
        return target_encoder(seed)
    if feature.kind == "categorical":
        return OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            encoded_missing_value=np.nan,
            min_frequency=MIN_FREQUENCY,
            max_categories=MAX_CATEGORIES,
        )
    return "passthrough"


def tree_preprocessor(features: list[Feature], seed: int = 0) -> ColumnTransformer:
    """One column per feature, in schema order: category codes (NaN = missing or unseen),
    target encodings of high-cardinality categories, numbers as they are."""
    return ColumnTransformer(
        [(f.name, _column_encoder(f, seed), [f.name]) for f in features],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )


def make_classifier(family: str, features: list[Feature], seed: int = 0) -> Pipeline:
    """An unfitted pipeline of ``family`` for ``features``."""
    is_cat = [f.kind == "categorical" and not is_high_cardinality(f) for f in features]
    builders: dict[str, Callable[[], Any]] = {
        "logistic_regression": lambda: LogisticRegression(max_iter=2000, C=1.0),
        "random_forest": lambda: RandomForestClassifier(
            n_estimators=200,
            max_samples=0.5,
            min_samples_leaf=20,
            n_jobs=N_JOBS,
            random_state=seed,
        ),
        "gradient_boosting": lambda: HistGradientBoostingClassifier(
            categorical_features=np.array(is_cat, dtype=bool) if any(is_cat) else None,
            early_stopping=False,
            random_state=seed,
        ),
        "xgboost": lambda: XGBClassifier(
            tree_method="hist",
            enable_categorical=True,
            feature_types=["c" if c else "q" for c in is_cat],
            max_cat_to_onehot=1,
            n_jobs=N_JOBS,
            random_state=seed,
            eval_metric="logloss",
        ),
    }
    if family not in builders:
        raise ValueError(f"unknown model family {family!r}; choose from {', '.join(FAMILIES)}")
    prep = (
        linear_preprocessor(features, seed)
        if family == "logistic_regression"
        else tree_preprocessor(features, seed)
    )
    return Pipeline([("prep", prep), ("model", builders[family]())])
