"""Public pages (no login), mounted by the lead at /transparence/."""

from django.urls import path

from parcours.evaluation.views import transparency

app_name = "transparency"

urlpatterns = [
    path("", transparency.index, name="index"),
    path("indicateurs/<slug:code>/", transparency.indicator, name="indicator"),
    path("indicateurs/<slug:code>.csv", transparency.indicator_csv_export, name="indicator_csv"),
    path("experimentations/<uuid:public_id>/", transparency.experiment, name="experiment"),
    path("rapports/<uuid:public_id>/<str:year>.pdf", transparency.report_pdf, name="report_pdf"),
]
