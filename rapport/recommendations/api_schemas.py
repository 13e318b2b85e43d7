from datetime import datetime

from ninja import Field, Schema


class RecommendationOut(Schema):
    rank: int = Field(description="1 = the best suggestion.")
    product_id: int
    sku: str
    name: str
    reason: str = Field(
        description="`bought_with` (see `because_of_*` and `customers`), `similar_customers`, "
        "`popular` or `buy_again` (a consumable they buy again)."
    )
    reason_text: str = Field(description="The reason in words, in the request's language.")
    because_of_id: int | None = None
    because_of_name: str | None = None
    customers: int = Field(
        description="bought_with: customers who bought both; else customers who bought the product."
    )
    method: str
    computed_at: datetime


class AudienceMember(Schema):
    customer_id: int
    number: str
    name: str
    rank: int
    reason_text: str


class MetricsOut(Schema):
    precision_at_k: float
    recall_at_k: float
    ndcg_at_k: float
    coverage: float


class EvaluationOut(Schema):
    computed_at: datetime
    as_of: str
    split_date: str = Field(description="Training: orders before this day; test: on or after it.")
    k: int
    chosen: str
    model: MetricsOut
    popularity: MetricsOut
    customers_evaluated: int
