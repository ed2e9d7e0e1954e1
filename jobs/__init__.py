"""Scheduled jobs (APScheduler 3), one module per job; started in the app's lifespan."""
