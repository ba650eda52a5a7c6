import _ from "lodash";
import moment from "moment";

export function orderSummary(order: Record<string, unknown> | undefined) {
  if (!order) return { found: false };
  return {
    found: true,
    items: _.sumBy(order.items as { count: number }[], "count"),
    placed: moment(order.placedAt as string).fromNow(),
  };
}
