"""Corrections to moto's server so the sandbox behaves like AWS where the lab needs it."""
