from django import forms

from users.models import User


class SignupExtraForm(forms.Form):
    """Fields the allauth sign-up page asks for beyond email and password."""

    full_name = forms.CharField(max_length=150, required=False, label="Full name")

    def signup(self, request, user: User) -> None:
        user.full_name = self.cleaned_data["full_name"]
        user.save(update_fields=["full_name"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("full_name", "currency", "timezone", "monthly_income")
