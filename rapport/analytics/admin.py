"""Admin: scores, fits and reports are derived data (read-only here); churn records are editable."""

from django.contrib import admin

from rapport.analytics.models import ChurnRecord, CustomerScore, ModelFit, Report


class ReadOnlyAdmin(admin.ModelAdmin):
    """The refresh writes these; the admin only shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CustomerScore)
class CustomerScoreAdmin(ReadOnlyAdmin):
    list_display = (
        "customer",
        "segment",
        "r_score",
        "f_score",
        "m_score",
        "p_alive",
        "clv",
        "churn_risk_band",
        "trust_level",
        "computed_at",
    )
    list_filter = ("segment", "churn_risk_band", "trust_level", "switching_cost_band")
    search_fields = ("=customer__id",)
    raw_id_fields = ("customer",)
    show_full_result_count = False


@admin.register(ModelFit)
class ModelFitAdmin(ReadOnlyAdmin):
    list_display = ("computed_at", "as_of", "customers", "duration_seconds", "summary_strategy")
    date_hierarchy = "computed_at"


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("kind", "computed_at", "fit")
    exclude = ("data",)  # large; the dashboards show it


@admin.register(ChurnRecord)
class ChurnRecordAdmin(admin.ModelAdmin):
    list_display = ("customer", "reason", "destination", "recorded_by", "recorded_at")
    list_filter = ("reason", "destination")
    raw_id_fields = ("customer", "recorded_by")
    date_hierarchy = "recorded_at"
