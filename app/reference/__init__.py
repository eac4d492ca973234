"""Reference data: the starter drug catalog, the insurers' cost-share rules, and a catalog generator."""

from app.reference.data import FIELDS, ROUTES, insurer_plans, load_insurers, load_starter_drugs

__all__ = ["FIELDS", "ROUTES", "insurer_plans", "load_insurers", "load_starter_drugs"]
