"""uplift-lab: segment customers, design holdouts, analyze campaigns, model and target uplift."""

__version__ = "0.1.0"
