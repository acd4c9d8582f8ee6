//! Admin routes (bearer `ADMIN_TOKEN`): tenants, API keys, vendor accounts, webhook endpoints.
//! Secrets are returned once, at creation; only their digests (keys) are kept.

use serde_json::{json, Value};
use worker::{Env, Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::auth::{authenticate_admin, dashboard, secret_digest};
use crate::body::{read, Fields};
use crate::dispatcher::destination::check_url;
use crate::store::{KeyInfo, Store, TenantRow, VendorAccountRow, WebhookEndpointRow};
use crate::{clock, ids, query, AppState};

/// Rate limit of new keys unless given: the `DEFAULT_RATE_LIMIT_PER_MINUTE` var, else 1200.
pub(crate) fn default_rate_limit(env: &Env) -> u32 {
    env.var("DEFAULT_RATE_LIMIT_PER_MINUTE")
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(1200)
}

/// An optional non-negative integer field; `null` is "unlimited" and distinct from absent.
pub(crate) fn optional_count(
    fields: &mut Fields<'_>,
    name: &str,
    max: u64,
) -> Result<Option<Option<u64>>, ApiError> {
    match fields.raw(name) {
        None => Ok(None),
        Some("null") => Ok(Some(None)),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n <= max => Ok(Some(Some(n))),
            _ => Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some(name.into()),
                format!("must be null or an integer from 0 to {max}"),
            )),
        },
    }
}

/// The tenant named by the `:id` path parameter.
async fn tenant_or_404(store: &Store, ctx: &RouteContext<AppState>) -> Result<TenantRow, ApiError> {
    let id = &query::param(ctx, "id");
    store
        .tenant(id)
        .await?
        .ok_or_else(|| ApiError::not_found("TENANT_NOT_FOUND", "no such tenant"))
}

fn tenant_json(t: &TenantRow) -> Value {
    json!({"id": t.id, "name": t.name, "kind": t.kind, "monthlyAllowance": t.monthly_allowance,
           "embedOrigins": t.origins(), "createdAt": t.created_at})
}

async fn setup(
    req: &mut Request,
    ctx: &RouteContext<AppState>,
) -> Result<(Store, String), ApiError> {
    authenticate_admin(req, &ctx.env)?;
    Ok((Store::of(ctx)?, read(req).await?))
}

pub async fn create_tenant(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let mut f = Fields::parse(&body, "")?;
    let name = f.required_string("name", 200)?;
    let kind = f.string("kind", 20)?.unwrap_or_else(|| "direct".into());
    if kind != "direct" && kind != "middleware" {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("kind".into()),
            "must be \"direct\" or \"middleware\"",
        ));
    }
    let allowance = optional_count(&mut f, "monthlyAllowance", 1 << 40)?.flatten();
    f.finish()?;
    let tenant = TenantRow {
        id: ids::new_id("ten_")?,
        name,
        kind,
        monthly_allowance: allowance,
        created_at: clock::rfc3339(clock::now_ms()),
        embed_origins: "[]".into(),
    };
    store.insert_tenant(&tenant).await?;
    ok(&tenant_json(&tenant), 201)
}

pub async fn get_tenant(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, _) = setup(&mut req, &ctx).await?;
    let tenant = tenant_or_404(&store, &ctx).await?;
    let vendors = store.vendor_accounts(&tenant.id).await?;
    let mut data = tenant_json(&tenant);
    data["vendorAccounts"] = vendors
        .iter()
        .map(|v| json!({"id": v.id, "displayName": v.display_name}))
        .collect();
    ok(&data, 200)
}

pub async fn update_tenant(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let mut tenant = tenant_or_404(&store, &ctx).await?;
    let mut f = Fields::parse(&body, "")?;
    if let Some(name) = f.string("name", 200)? {
        if name.trim().is_empty() {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some("name".into()),
                "must not be blank",
            ));
        }
        tenant.name = name;
    }
    if let Some(allowance) = optional_count(&mut f, "monthlyAllowance", 1 << 40)? {
        tenant.monthly_allowance = allowance;
    }
    match f.raw("embedOrigins") {
        None => {}
        Some("null") => tenant.embed_origins = "[]".into(),
        Some(list) => tenant.embed_origins = embed_origins(list)?,
    }
    f.finish()?;
    store
        .update_tenant(
            &tenant.id,
            &tenant.name,
            tenant.monthly_allowance,
            &tenant.embed_origins,
        )
        .await?;
    ok(&tenant_json(&tenant), 200)
}

/// A key's environment as a body names it: `sandbox|test` or `production|live`.
pub(crate) fn key_environment(text: &str) -> Result<&'static str, ApiError> {
    match text {
        "sandbox" | "test" => Ok("sandbox"),
        "production" | "live" => Ok("production"),
        _ => Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("environment".into()),
            "must be \"sandbox\" or \"production\"",
        )),
    }
}

/// Stores a new key — `pk_test_`/`pk_live_` + 16 hex digits, a fresh secret kept only as its
/// digest — and returns the creation answer, the only one that shows the secret.
pub(crate) async fn issue_key(
    store: &Store,
    tenant_id: String,
    environment: &str,
    name: String,
    rate_limit_per_minute: u32,
) -> Result<Value, ApiError> {
    let prefix = if environment == "sandbox" {
        "pk_test_"
    } else {
        "pk_live_"
    };
    let public_id = format!("{prefix}{}", hex::encode(ids::random_bytes::<8>()?));
    let secret = ids::new_secret()?;
    let info = KeyInfo {
        public_id: public_id.clone(),
        tenant_id,
        environment: environment.into(),
        name,
        enabled: 1,
        rate_limit_per_minute,
        created_at: clock::rfc3339(clock::now_ms()),
        ..KeyInfo::default()
    };
    store.insert_key(&info, &secret_digest(&secret)).await?;
    Ok(json!({
        "publicKey": public_id,
        "secretKey": secret,
        "fullKey": format!("{public_id}.{secret}"),
        "environment": info.environment,
        "name": info.name,
        "rateLimitPerMinute": rate_limit_per_minute,
        "enabled": true,
        "createdAt": info.created_at,
        "message": "Store the secret now: it is not shown again.",
    }))
}

pub async fn create_key(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let tenant = tenant_or_404(&store, &ctx).await?;
    let mut f = Fields::parse(&body, "")?;
    let environment = key_environment(&f.required_string("environment", 20)?)?;
    let name = f.string("name", 200)?.unwrap_or_else(|| "default".into());
    let limit = optional_count(&mut f, "rateLimitPerMinute", 1_000_000)?
        .flatten()
        .map_or(default_rate_limit(&ctx.env), |n| n as u32);
    f.finish()?;
    let created = issue_key(&store, tenant.id, environment, name, limit).await?;
    ok(&created, 201)
}

pub async fn update_key(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let id = &query::param(&ctx, "publicId");
    let mut info = store
        .key_info(id)
        .await?
        .ok_or_else(|| ApiError::not_found("API_KEY_NOT_FOUND", "no such key"))?;
    let mut f = Fields::parse(&body, "")?;
    match f.raw("enabled") {
        None => {}
        Some("true") => info.enabled = 1,
        Some("false") => info.enabled = 0,
        Some(_) => {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some("enabled".into()),
                "must be true or false",
            ))
        }
    }
    if let Some(Some(n)) = optional_count(&mut f, "rateLimitPerMinute", 1_000_000)? {
        info.rate_limit_per_minute = n as u32;
    }
    f.finish()?;
    store
        .update_key(
            &info.public_id,
            info.enabled == 1,
            info.rate_limit_per_minute,
        )
        .await?;
    ok(
        // A revoked key stays disabled whatever was asked (the store keeps it so).
        &json!({"publicKey": info.public_id, "environment": info.environment,
                "enabled": info.enabled == 1 && info.revoked_at.is_none(), "rateLimitPerMinute": info.rate_limit_per_minute}),
        200,
    )
}

pub async fn create_vendor_account(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let tenant = tenant_or_404(&store, &ctx).await?;
    if tenant.kind != "middleware" {
        return Err(ApiError::invalid(
            "TENANT_NOT_MIDDLEWARE",
            None,
            "vendor accounts belong to middleware tenants",
        ));
    }
    let mut f = Fields::parse(&body, "")?;
    let display_name = f.required_string("displayName", 200)?;
    f.finish()?;
    let v = VendorAccountRow {
        id: ids::new_id("cmw_")?,
        tenant_id: tenant.id,
        display_name,
        created_at: clock::rfc3339(clock::now_ms()),
    };
    store.insert_vendor_account(&v).await?;
    ok(
        &json!({"id": v.id, "displayName": v.display_name, "createdAt": v.created_at}),
        201,
    )
}

/// A new endpoint's signing secret.
pub(crate) fn new_webhook_secret() -> Result<String, ApiError> {
    Ok(format!("whsec_{}", ids::new_secret()?))
}

/// Stores a new endpoint (its URL already checked) and returns the creation answer, the only
/// one besides a rotation's that shows the secret.
pub(crate) async fn insert_webhook(
    store: &Store,
    tenant_id: String,
    environment: String,
    url: String,
    description: Option<String>,
) -> Result<Value, ApiError> {
    let w = WebhookEndpointRow {
        id: ids::new_id("webhook_")?,
        tenant_id,
        environment,
        url,
        description,
        secret: new_webhook_secret()?,
        enabled: 1,
        created_at: clock::rfc3339(clock::now_ms()),
        ..WebhookEndpointRow::default()
    };
    store.insert_webhook_endpoint(&w).await?;
    Ok(
        json!({"id": w.id, "url": w.url, "environment": w.environment, "description": w.description, "secret": w.secret,
               "enabled": true, "createdAt": w.created_at, "message": "Store the secret now: it is not shown again."}),
    )
}

/// Rotates endpoint `id`'s secret with the body `{overlapSeconds?}` (default a day, at most 7
/// days): the old secret keeps signing alongside the new one until the overlap ends.
pub(crate) async fn rotate_webhook(store: &Store, id: &str, body: &str) -> Result<Value, ApiError> {
    let mut f = Fields::parse(if body.trim().is_empty() { "{}" } else { body }, "")?;
    let overlap = optional_count(&mut f, "overlapSeconds", 7 * 86_400)?
        .flatten()
        .unwrap_or(86_400);
    f.finish()?;
    let secret = new_webhook_secret()?;
    let until = clock::now_ms() + overlap * 1000;
    store.rotate_webhook_secret(id, &secret, until).await?;
    Ok(json!({"id": id, "secret": secret, "previousSecretValidUntil": clock::rfc3339(until)}))
}

pub async fn create_webhook(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let tenant = tenant_or_404(&store, &ctx).await?;
    let mut f = Fields::parse(&body, "")?;
    let url = f.required_string("url", 2048)?;
    check_url(&url, &ctx.env)?;
    let environment = f.required_string("environment", 20)?;
    if environment != "sandbox" && environment != "production" {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("environment".into()),
            "must be \"sandbox\" or \"production\"",
        ));
    }
    let description = f.string("description", 500)?;
    f.finish()?;
    let created = insert_webhook(&store, tenant.id, environment, url, description).await?;
    ok(&created, 201)
}

pub async fn rotate_webhook_secret(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let id = &query::param(&ctx, "webhookId");
    let w = store
        .webhook_endpoint(id)
        .await?
        .ok_or_else(|| ApiError::not_found("WEBHOOK_NOT_FOUND", "no such webhook endpoint"))?;
    ok(&rotate_webhook(&store, &w.id, &body).await?, 200)
}

/// `embedOrigins`: at most 16 origins (`https://host[:port]`, or `http://` for loopback), each
/// exactly as a browser sends it in `Origin`; stored as a JSON array.
fn embed_origins(list: &str) -> Result<String, ApiError> {
    let field = |f: String| Some(f);
    let raw: Vec<&serde_json::value::RawValue> = serde_json::from_str(list).map_err(|_| {
        ApiError::invalid(
            "VALIDATION_ERROR",
            field("embedOrigins".into()),
            "must be an array of origins",
        )
    })?;
    if raw.len() > 16 {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            field("embedOrigins".into()),
            "at most 16 origins",
        ));
    }
    let mut origins = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let bad = |why: &str| {
            ApiError::invalid(
                "VALIDATION_ERROR",
                field(format!("embedOrigins[{i}]")),
                why.to_string(),
            )
        };
        let text: String = serde_json::from_str(r.get()).map_err(|_| bad("must be a string"))?;
        crate::cors::check_origin(&text).map_err(bad)?;
        origins.push(text);
    }
    serde_json::to_string(&origins).map_err(|e| ApiError::internal("origins", e))
}

/// `POST /admin/tenants/:id/dashboard-tokens {userId?, role?, ttlSeconds?}`: a dashboard token
/// (HS256) for a user of the tenant. Tokens are not stored: they expire.
pub async fn mint_dashboard_token(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let tenant = tenant_or_404(&store, &ctx).await?;
    let mut f = Fields::parse(if body.trim().is_empty() { "{}" } else { &body }, "")?;
    let user = f.string("userId", 200)?.unwrap_or_else(|| "admin".into());
    if user.trim().is_empty() {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("userId".into()),
            "must not be blank",
        ));
    }
    let role = f.string("role", 20)?.unwrap_or_else(|| "admin".into());
    if dashboard::role_of(&role).is_none() {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("role".into()),
            "must be \"admin\" or \"viewer\"",
        ));
    }
    let ttl = optional_count(&mut f, "ttlSeconds", dashboard::MAX_TTL_SECONDS)?
        .flatten()
        .unwrap_or(3600)
        .max(1);
    f.finish()?;
    let key = dashboard::hs256_key(&ctx.env)?;
    let claims = dashboard::DashboardClaims {
        iss: dashboard::ISSUER.into(),
        aud: dashboard::AUDIENCE.into(),
        sub: user.clone(),
        tenant: tenant.id.clone(),
        role: role.clone(),
    };
    let (token, expires_ms) = dashboard::mint(&key, claims, clock::now_ms(), ttl)?;
    ok(
        &json!({"token": token, "tokenType": "Bearer", "tenantId": tenant.id, "userId": user, "role": role,
                "expiresAt": clock::rfc3339(expires_ms)}),
        201,
    )
}
