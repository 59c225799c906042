"""Clustering of indicators into candidate campaigns (scikit-learn estimators over the observable index)."""
