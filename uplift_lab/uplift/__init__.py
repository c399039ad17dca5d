"""Uplift modelling: training data (data.py, features.py), meta-learners on LightGBM (models.py,
learners.py, predict.py), the cross-validated training loop and model choice (train.py,
selection.py), scoring (scoring.py), the model folder format without pickle (store.py) and
held-out evaluation (metrics.py, bootstrap.py, baselines.py, verdict.py, evaluate.py)."""
