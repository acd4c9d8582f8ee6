//! `/dashboard/*` (source doc 001): a vendor's own UI, authenticated by a dashboard token
//! (`auth::dashboard`). Most answers are the Balance API's and the middleware's own handlers
//! (one implementation per concept); these modules hold what only the dashboard has.

pub mod api_keys;
pub mod checkpoints;
pub mod customers;
pub mod verification;
pub mod webhooks;
