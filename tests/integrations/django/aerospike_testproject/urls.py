from django.urls import path

from aerospike_testproject import views

urlpatterns = [
    path("visit/", views.visit),
    path("avisit/", views.avisit),
    path("logout/", views.logout),
    path("plain/", views.plain),
]
