"""Uplift modelling: training data (data.py), meta-learners on LightGBM (models.py), the
cross-validated training loop and model choice (train.py), booster storage without pickle
(store.py) and held-out metrics (evaluate.py)."""
