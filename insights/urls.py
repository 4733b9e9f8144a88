from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.index, name="index"),
    path("coverage/", views.coverage, name="coverage"),
    path("<slug:slug>/at-risk/", views.at_risk, name="at_risk"),
    path("<slug:slug>/at-risk/rules/", views.at_risk_rules, name="at_risk_rules"),
    path("<slug:slug>/turnaround/", views.turnaround, name="turnaround"),
    path("<slug:slug>/gradebook/", views.gradebook, name="gradebook"),
    path("<slug:slug>/heatmap/", views.heatmap, name="heatmap"),
]
