"""Imported once by the statement batch's pool server (``multiprocessing``'s forkserver,
``service.reports.publish.pool_context``): the service's modules and a warmed
WeasyPrint (fonts, stylesheet, ``gc.freeze``) are then in every worker forked from it.

Importing it renders a one-dot PDF; nothing else imports it.
"""

from service.reports.publish import _warm_worker

_warm_worker()
