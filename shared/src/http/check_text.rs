//! What each verification outcome means for an academy admin, in English and
//! Spanish, naming the value to fix and where it lives in Zoom.

use super::i18n::Lang;
use crate::domain::verification::Check;

const S2S_APP_EN: &str =
    "Zoom App Marketplace → Develop → Build App → your Server-to-Server OAuth app";
const S2S_APP_ES: &str =
    "Zoom App Marketplace → Develop → Build App → su app Server-to-Server OAuth";

fn param<'a>(check: &'a Check, key: &str) -> &'a str {
    check.params.get(key).map(String::as_str).unwrap_or("")
}

/// The sentence shown for a check.
pub fn message(lang: Lang, check: &Check) -> String {
    let (en, es) = match (check.name.as_str(), check.code.as_str()) {
        (_, "skipped") => (
            "Not checked: an earlier check failed.".into(),
            "No se comprobó: falló una comprobación anterior.".into(),
        ),
        (_, "zoom_unreachable") => (
            "Zoom could not be reached; nothing was decided. Try again in a few minutes.".into(),
            "No se pudo contactar a Zoom; no se decidió nada. Reintente en unos minutos.".into(),
        ),
        (_, "zoom_rate_limited") => (
            "Zoom is limiting requests for this account right now; try the verification again later.".into(),
            "Zoom está limitando las solicitudes de esta cuenta; reintente la verificación más tarde.".into(),
        ),
        ("credentials", _) => credentials(check),
        ("scopes", _) => scopes(check),
        ("host_user", _) => host_user(check),
        ("host_plan", _) => host_plan(check),
        ("attendance_report", _) => attendance_report(check),
        ("participant_events", _) => participant_events(check),
        ("recording_events", _) => recording_events(check),
        ("sdk_credentials", _) => sdk_credentials(check),
        ("webhook", _) => webhook(check),
        _ => unknown(check),
    };
    match lang {
        Lang::En => en,
        Lang::Es => es,
    }
}

/// A code without words of its own: named as it is.
fn unknown(check: &Check) -> (String, String) {
    let text = format!("{}: {}", check.name, check.code);
    (text.clone(), text)
}

fn credentials(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "ok" => (
            "Zoom accepted the Account ID, Client ID and Client Secret.".into(),
            "Zoom aceptó el ID de cuenta, el ID de cliente y el Secreto de cliente.".into(),
        ),
        "invalid_client" => (
            format!("Zoom rejected the Client ID / Client Secret pair. Copy both again from {S2S_APP_EN} → App Credentials (not from the General App)."),
            format!("Zoom rechazó el par ID de cliente / Secreto de cliente. Cópielos de nuevo desde {S2S_APP_ES} → App Credentials (no desde la General App)."),
        ),
        "wrong_app_type" => (
            "These credentials belong to an app that is not Server-to-Server OAuth (often the General App of the Meeting SDK). Use the Account ID, Client ID and Client Secret of the Server-to-Server OAuth app; the General App's Client ID and Client Secret go into SDK key and SDK secret.".into(),
            "Estas credenciales son de una app que no es Server-to-Server OAuth (a menudo la General App del Meeting SDK). Use el ID de cuenta, ID de cliente y Secreto de cliente de la app Server-to-Server OAuth; el Client ID y Client Secret de la General App van en Clave SDK y Secreto SDK.".into(),
        ),
        "wrong_account_id" => (
            format!("The Account ID does not match the app. Copy the Account ID from {S2S_APP_EN} → App Credentials."),
            format!("El ID de cuenta no corresponde a la app. Copie el Account ID desde {S2S_APP_ES} → App Credentials."),
        ),
        "app_deactivated" => (
            format!("The Server-to-Server OAuth app is not activated. Open {S2S_APP_EN} → Activation → Activate your app."),
            format!("La app Server-to-Server OAuth no está activada. Abra {S2S_APP_ES} → Activation → Activate your app."),
        ),
        _ => (
            format!("Zoom refused to issue a token for these credentials. Check Account ID, Client ID and Client Secret in {S2S_APP_EN} → App Credentials."),
            format!("Zoom no emitió un token con estas credenciales. Revise ID de cuenta, ID de cliente y Secreto de cliente en {S2S_APP_ES} → App Credentials."),
        ),
    }
}

fn scopes(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "ok" => (
            "The app has every scope lms-zoom needs.".into(),
            "La app tiene todos los scopes que lms-zoom necesita.".into(),
        ),
        "scopes_missing" => (
            format!(
                "The app lacks scopes needed to schedule classes: {}. Add them in {S2S_APP_EN} → Scopes → + Add Scopes, then verify again.",
                param(check, "scopes")
            ),
            format!(
                "A la app le faltan scopes necesarios para programar clases: {}. Agréguelos en {S2S_APP_ES} → Scopes → + Add Scopes y vuelva a verificar.",
                param(check, "scopes")
            ),
        ),
        "optional_scopes_missing" => (
            format!(
                "Classes can be scheduled, but some features need more scopes: {} (host start with ZAK, recordings, attendance from Zoom's report, keeping a class whose creation Zoom confirmed too late). Add them in {S2S_APP_EN} → Scopes → + Add Scopes.",
                param(check, "scopes")
            ),
            format!(
                "Se pueden programar clases, pero algunas funciones necesitan más scopes: {} (inicio como anfitrión con ZAK, grabaciones, asistencia desde el informe de Zoom, conservar una clase cuya creación Zoom confirmó tarde). Agréguelos en {S2S_APP_ES} → Scopes → + Add Scopes.",
                param(check, "scopes")
            ),
        ),
        _ => unknown(check),
    }
}

fn host_user(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "ok" => (
            format!("The host user {} exists in the Zoom account and is active.", param(check, "host")),
            format!("El usuario anfitrión {} existe en la cuenta de Zoom y está activo.", param(check, "host")),
        ),
        "host_user_not_found" => (
            format!("There is no user {} in this Zoom account. Use the email of a user of the account that owns the app (Zoom web portal → Admin → User Management → Users).", param(check, "host")),
            format!("No existe el usuario {} en esta cuenta de Zoom. Use el email de un usuario de la cuenta dueña de la app (portal web de Zoom → Admin → User Management → Users).", param(check, "host")),
        ),
        "host_me_unsupported" => (
            "Zoom does not resolve the host \"me\" for this app. Set hostUser to the email of the Zoom user who will host the classes.".into(),
            "Zoom no resuelve el anfitrión \"me\" para esta app. Indique en hostUser el email del usuario de Zoom que será anfitrión de las clases.".into(),
        ),
        "host_user_inactive" => (
            format!("The host user {} is not active in Zoom (status: {}). Activate it in the Zoom web portal → Admin → User Management → Users, or choose another host.", param(check, "host"), param(check, "userStatus")),
            format!("El usuario anfitrión {} no está activo en Zoom (estado: {}). Actívelo en el portal web de Zoom → Admin → User Management → Users, o elija otro anfitrión.", param(check, "host"), param(check, "userStatus")),
        ),
        "needs_user_read_scope" => (
            "The host user could not be checked: the app lacks the scope user:read:user:admin.".into(),
            "No se pudo comprobar el anfitrión: a la app le falta el scope user:read:user:admin.".into(),
        ),
        _ => (
            format!("Zoom did not let us read the host user {}: {}.", param(check, "host"), param(check, "zoomMessage")),
            format!("Zoom no permitió leer el usuario anfitrión {}: {}.", param(check, "host"), param(check, "zoomMessage")),
        ),
    }
}

fn host_plan(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "licensed" => (
            "The host has a Licensed plan.".into(),
            "El anfitrión tiene un plan con licencia (Licensed).".into(),
        ),
        "basic_plan" => (
            "The host has a Basic (free) plan: meetings end after 40 minutes and there is no cloud recording. Assign a license to this user in Zoom, or choose a licensed host.".into(),
            "El anfitrión tiene un plan Basic (gratuito): las reuniones terminan a los 40 minutos y no hay grabación en la nube. Asigne una licencia a este usuario en Zoom o elija un anfitrión con licencia.".into(),
        ),
        "other_plan" => (
            format!("The host has a Zoom user type {}.", param(check, "type")),
            format!("El anfitrión tiene el tipo de usuario de Zoom {}.", param(check, "type")),
        ),
        _ => (
            "Zoom did not say which plan the host has.".into(),
            "Zoom no indicó qué plan tiene el anfitrión.".into(),
        ),
    }
}

fn attendance_report(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "ok" => (
            "After each class, attendance is also read from Zoom's participant report, filling in what webhooks missed.".into(),
            "Después de cada clase la asistencia también se lee del informe de participantes de Zoom, que completa lo que no llegó por webhooks.".into(),
        ),
        "report_scope_missing" => (
            format!(
                "Attendance will not be reconciled from Zoom's participant report: the app lacks {} (apps on classic scopes: {}). Joins and leaves whose webhooks Zoom drops stay missing. Add it in {S2S_APP_EN} → Scopes → + Add Scopes.",
                param(check, "scope"),
                param(check, "classicScope")
            ),
            format!(
                "La asistencia no se conciliará con el informe de participantes de Zoom: a la app le falta {} (apps con scopes clásicos: {}). Las entradas y salidas cuyos webhooks Zoom pierda seguirán faltando. Agréguelo en {S2S_APP_ES} → Scopes → + Add Scopes.",
                param(check, "scope"),
                param(check, "classicScope")
            ),
        ),
        "report_needs_paid_plan" => (
            "Zoom offers the participant report only on paid plans and the host is on Basic: attendance will not be reconciled from it and comes only from webhooks. Assign a license to the host in Zoom, or choose a licensed host.".into(),
            "Zoom ofrece el informe de participantes solo en planes pagos y el anfitrión tiene plan Basic: la asistencia no se conciliará con él y llegará solo por webhooks. Asigne una licencia al anfitrión en Zoom o elija un anfitrión con licencia.".into(),
        ),
        _ => unknown(check),
    }
}

/// What a classic-scope app is told about an event check (`what`: en, es).
fn classic_events(what: (&str, &str)) -> (String, String) {
    (
        format!(
            "The app uses classic scopes, and Zoom's documentation names no classic scope for {}, so this was not checked. If Zoom marks such an event as not allowed for the app under Feature → Event Subscriptions, add the scope it names.",
            what.0
        ),
        format!(
            "La app usa scopes clásicos y la documentación de Zoom no nombra ningún scope clásico para {}, así que no se comprobó. Si Zoom marca uno de esos eventos como no permitido para la app en Feature → Event Subscriptions, agregue el scope que indique.",
            what.1
        ),
    )
}

fn participant_events(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "ok" => (
            "Zoom may send this app participant join and leave events.".into(),
            "Zoom puede enviar a esta app los eventos de entrada y salida de participantes.".into(),
        ),
        "participant_event_scope_missing" => (
            format!(
                "Participant join and leave events ({}) will not arrive: Zoom does not allow them without {}. Attendance then comes only from Zoom's participant report, after the class. Add the scope in {S2S_APP_EN} → Scopes → + Add Scopes.",
                param(check, "events"),
                param(check, "scope")
            ),
            format!(
                "No llegarán los eventos de entrada y salida de participantes ({}): Zoom no los permite sin {}. La asistencia vendrá entonces solo del informe de participantes de Zoom, después de la clase. Agregue el scope en {S2S_APP_ES} → Scopes → + Add Scopes.",
                param(check, "events"),
                param(check, "scope")
            ),
        ),
        "classic_scopes" => classic_events(("participant events", "los eventos de participantes")),
        _ => unknown(check),
    }
}

fn recording_events(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "ok" => (
            "Zoom may send this app recording events.".into(),
            "Zoom puede enviar a esta app los eventos de grabaciones.".into(),
        ),
        "recording_event_scope_missing" => (
            format!(
                "Recording events ({}) will not arrive: Zoom does not allow them without {}. Recordings are then found only when lms-zoom asks Zoom for them (Sync recordings). Add the scope in {S2S_APP_EN} → Scopes → + Add Scopes.",
                param(check, "events"),
                param(check, "scope")
            ),
            format!(
                "No llegarán los eventos de grabaciones ({}): Zoom no los permite sin {}. Las grabaciones se encontrarán solo cuando lms-zoom se las pida a Zoom (Sincronizar grabaciones). Agregue el scope en {S2S_APP_ES} → Scopes → + Add Scopes.",
                param(check, "events"),
                param(check, "scope")
            ),
        ),
        "classic_scopes" => classic_events(("recording events", "los eventos de grabaciones")),
        _ => unknown(check),
    }
}

fn sdk_credentials(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "ok" => (
            "SDK key and SDK secret are present.".into(),
            "La Clave SDK y el Secreto SDK están cargados.".into(),
        ),
        "sdk_key_is_client_id" => (
            "The SDK key equals the Server-to-Server Client ID: probably pasted from the wrong app. The SDK key and secret are the Client ID and Client Secret of the General App (Features → Embed → Meeting SDK enabled) → App Credentials.".into(),
            "La Clave SDK es igual al ID de cliente Server-to-Server: probablemente se copió de la app equivocada. La Clave y el Secreto SDK son el Client ID y Client Secret de la General App (Features → Embed → Meeting SDK habilitado) → App Credentials.".into(),
        ),
        _ => (
            "The SDK secret equals the Server-to-Server Client Secret: probably pasted from the wrong app. Copy the Client Secret of the General App → App Credentials.".into(),
            "El Secreto SDK es igual al Secreto de cliente Server-to-Server: probablemente se copió de la app equivocada. Copie el Client Secret de la General App → App Credentials.".into(),
        ),
    }
}

fn webhook(check: &Check) -> (String, String) {
    match check.code.as_str() {
        "ok" => (
            "A webhook secret token is configured.".into(),
            "Hay un token secreto de webhook configurado.".into(),
        ),
        _ => (
            format!(
                "No webhook secret token: recordings and attendance will not be pushed by Zoom. In {S2S_APP_EN} → Feature → Event Subscriptions, add the endpoint URL {} and copy its Secret Token into webhookSecretToken.",
                param(check, "webhookPath")
            ),
            format!(
                "No hay token secreto de webhook: Zoom no enviará grabaciones ni asistencia. En {S2S_APP_ES} → Feature → Event Subscriptions, agregue la URL {} y copie su Secret Token en webhookSecretToken.",
                param(check, "webhookPath")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::verification::CheckStatus;

    #[test]
    fn every_known_code_has_its_own_words_in_both_languages() {
        let codes = [
            ("credentials", "ok"),
            ("credentials", "invalid_client"),
            ("credentials", "wrong_app_type"),
            ("credentials", "wrong_account_id"),
            ("credentials", "app_deactivated"),
            ("credentials", "credentials_rejected"),
            ("credentials", "zoom_unreachable"),
            ("scopes", "ok"),
            ("scopes", "scopes_missing"),
            ("scopes", "optional_scopes_missing"),
            ("host_user", "ok"),
            ("host_user", "host_user_not_found"),
            ("host_user", "host_me_unsupported"),
            ("host_user", "host_user_inactive"),
            ("host_user", "needs_user_read_scope"),
            ("host_plan", "licensed"),
            ("host_plan", "basic_plan"),
            ("attendance_report", "ok"),
            ("attendance_report", "report_scope_missing"),
            ("attendance_report", "report_needs_paid_plan"),
            ("participant_events", "ok"),
            ("participant_events", "participant_event_scope_missing"),
            ("participant_events", "classic_scopes"),
            ("recording_events", "ok"),
            ("recording_events", "recording_event_scope_missing"),
            ("recording_events", "classic_scopes"),
            ("sdk_credentials", "ok"),
            ("sdk_credentials", "sdk_key_is_client_id"),
            ("sdk_credentials", "sdk_secret_is_client_secret"),
            ("webhook", "ok"),
            ("webhook", "webhook_secret_missing"),
        ];
        let mut seen = std::collections::HashSet::new();
        for (name, code) in codes {
            let check = Check::new(name, CheckStatus::Fail, code);
            let en = message(Lang::En, &check);
            let es = message(Lang::Es, &check);
            assert_ne!(en, es, "{name}/{code}");
            assert!(
                !en.contains(": ok") && !en.ends_with(code),
                "{name}/{code} falls through: {en}"
            );
            assert!(seen.insert(en), "{name}/{code} shares its words");
        }
    }
}
