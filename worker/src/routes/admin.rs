//! Admin routes (bearer `ADMIN_TOKEN`): tenants, API keys, vendor accounts, webhook endpoints.
//! Secrets are returned once, at creation; only their digests (keys) are kept.

use serde_json::{json, Value};
use worker::{Env, Request, Response, RouteContext};

use crate::api::{ok, ApiError};
use crate::auth::{authenticate_admin, secret_digest};
use crate::body::{read, Fields};
use crate::dispatcher::destination;
use crate::store::{KeyInfo, Store, TenantRow, VendorAccountRow, WebhookEndpointRow};
use crate::{clock, ids, query, AppState};

/// Rate limit of new keys unless given: the `DEFAULT_RATE_LIMIT_PER_MINUTE` var, else 1200.
fn default_rate_limit(env: &Env) -> u32 {
    env.var("DEFAULT_RATE_LIMIT_PER_MINUTE")
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(1200)
}

/// An optional non-negative integer field; `null` is "unlimited" and distinct from absent.
fn optional_count(
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

pub async fn create_key(
    mut req: Request,
    ctx: RouteContext<AppState>,
) -> Result<Response, ApiError> {
    let (store, body) = setup(&mut req, &ctx).await?;
    let tenant = tenant_or_404(&store, &ctx).await?;
    let mut f = Fields::parse(&body, "")?;
    let environment = f.required_string("environment", 20)?;
    let prefix = match environment.as_str() {
        "sandbox" | "test" => "pk_test_",
        "production" | "live" => "pk_live_",
        _ => {
            return Err(ApiError::invalid(
                "VALIDATION_ERROR",
                Some("environment".into()),
                "must be \"sandbox\" or \"production\"",
            ))
        }
    };
    let environment = if prefix == "pk_test_" {
        "sandbox"
    } else {
        "production"
    };
    let name = f.string("name", 200)?.unwrap_or_else(|| "default".into());
    let limit = optional_count(&mut f, "rateLimitPerMinute", 1_000_000)?
        .flatten()
        .map_or(default_rate_limit(&ctx.env), |n| n as u32);
    f.finish()?;
    let public_id = format!("{prefix}{}", hex::encode(ids::random_bytes::<8>()?));
    let secret = ids::new_secret()?;
    let info = KeyInfo {
        public_id: public_id.clone(),
        tenant_id: tenant.id,
        environment: environment.into(),
        name,
        enabled: 1,
        rate_limit_per_minute: limit,
        created_at: clock::rfc3339(clock::now_ms()),
    };
    store.insert_key(&info, &secret_digest(&secret)).await?;
    ok(
        &json!({
            "publicKey": public_id,
            "secretKey": secret,
            "fullKey": format!("{public_id}.{secret}"),
            "environment": info.environment,
            "name": info.name,
            "rateLimitPerMinute": limit,
            "enabled": true,
            "createdAt": info.created_at,
            "message": "Store the secret now: it is not shown again.",
        }),
        201,
    )
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
        &json!({"publicKey": info.public_id, "environment": info.environment, "enabled": info.enabled == 1, "rateLimitPerMinute": info.rate_limit_per_minute}),
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

/// http(s) URL without credentials.
fn check_url(url: &str, env: &Env) -> Result<(), ApiError> {
    let parsed = worker::Url::parse(url).map_err(|_| {
        ApiError::invalid(
            "VALIDATION_ERROR",
            Some("url".into()),
            "must be an absolute URL",
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https")
        || !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.host().is_none()
    {
        return Err(ApiError::invalid(
            "VALIDATION_ERROR",
            Some("url".into()),
            "must be an http(s) URL without credentials",
        ));
    }
    let insecure = env
        .var("ALLOW_INSECURE_WEBHOOKS")
        .is_ok_and(|v| v.to_string() == "1");
    match destination::refusal(&parsed, insecure) {
        Some(why) => Err(ApiError::invalid(
            "WEBHOOK_URL_NOT_ALLOWED",
            Some("url".into()),
            why,
        )),
        None => Ok(()),
    }
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
    let w = WebhookEndpointRow {
        id: ids::new_id("webhook_")?,
        tenant_id: tenant.id,
        environment,
        url,
        description,
        secret: format!("whsec_{}", ids::new_secret()?),
        previous_secret: None,
        previous_until_ms: 0,
        enabled: 1,
        created_at: clock::rfc3339(clock::now_ms()),
    };
    store.insert_webhook_endpoint(&w).await?;
    ok(
        &json!({"id": w.id, "url": w.url, "environment": w.environment, "description": w.description, "secret": w.secret,
                "enabled": true, "createdAt": w.created_at, "message": "Store the secret now: it is not shown again."}),
        201,
    )
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
    let mut f = Fields::parse(if body.trim().is_empty() { "{}" } else { &body }, "")?;
    let overlap = optional_count(&mut f, "overlapSeconds", 7 * 86_400)?
        .flatten()
        .unwrap_or(86_400);
    f.finish()?;
    let secret = format!("whsec_{}", ids::new_secret()?);
    let until = clock::now_ms() + overlap * 1000;
    store.rotate_webhook_secret(&w.id, &secret, until).await?;
    ok(
        &json!({"id": w.id, "secret": secret, "previousSecretValidUntil": clock::rfc3339(until)}),
        200,
    )
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
