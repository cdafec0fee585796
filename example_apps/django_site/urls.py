from django.urls import path

from example_apps.django_site import views

urlpatterns = [
    path("", views.index),
    path("login", views.login, name="login"),
    path("logout", views.logout, name="logout"),
    path("books", views.books, name="books"),
    path("books/<str:book_id>/edit", views.edit_book, name="edit_book"),
    path("books/<str:book_id>", views.update_book, name="update_book"),
    path("books/<str:book_id>/delete", views.delete_book, name="delete_book"),
    path("report", views.report, name="report"),
    path("status", views.status, name="status"),
]
