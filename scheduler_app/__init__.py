"""scheduler_app: career days, employer events and alliance meetings for a region's schools and employers.

This package root deliberately imports nothing from Flask, so that ``import scheduler_app.solver``
stays free of the web stack. The application is built by :func:`scheduler_app.factory.create_app`.
"""
