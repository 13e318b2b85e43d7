"""The scheduled refresh of the stored recommendations, beside the analytics refresh.

`rapport crontask` enqueues `refresh_recommendations` at RAPPORT_RECOMMENDATIONS_REFRESH_CRON
(default 03:15, after the analytics refresh at 02:30); a task worker runs it. It evaluates the
methods on a time split, then recomputes the customers whose purchase history changed.
"""

from typing import Any

from crontask import cron
from django.conf import settings
from django.tasks import task


@cron(getattr(settings, "RAPPORT_RECOMMENDATIONS_REFRESH_CRON", "15 3 * * *"))
@task
def refresh_recommendations(full: bool = False) -> dict[str, Any]:
    from rapport.recommendations.services import evaluation_run, recommendations_refresh

    evaluation = evaluation_run()
    done = recommendations_refresh(full=full, method=evaluation.chosen)
    return {**done, "evaluation_id": evaluation.pk}
