from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "commerce.payments"
    label = "payments"

    def ready(self) -> None:
        from commerce.payments.gateways import check_at_start_up

        check_at_start_up()
