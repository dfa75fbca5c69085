"""网上缴费 (views/payment.py; the gateway is services.providers.payment, app.state.providers.payments):

- orders.py: `create_order` (生成订单), `start_payment` (支付), `close`, and the state shown everywhere:
  `shown_order`, `effective_status`, `expired`, `window_error`, `own_order`;
- notifications.py: `receive_notification`, `query_and_settle` (查询支付结果), both through `settle`;
- closing.py: the close job (`close_expired`, `close_expired_forever`);
- reconcile.py: `reconciliation(scope, now)`, what 对账 shows.
"""
