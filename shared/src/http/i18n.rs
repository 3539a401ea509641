//! The two languages people read our messages in, chosen by `Accept-Language`.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

use crate::domain::validation::Rule;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// The supported language the caller prefers most (by `q`, then order); English otherwise.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "es" => Lang::Es,
                "en" => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    fn pick(self, en: impl Into<String>, es: impl Into<String>) -> String {
        match self {
            Lang::En => en.into(),
            Lang::Es => es.into(),
        }
    }

    /// Short title of a problem.
    pub fn title(self, error: &AppError) -> String {
        let (en, es) = match error {
            AppError::MalformedJson { .. } => ("Malformed JSON", "JSON mal formado"),
            AppError::MeetingNotFound => ("Meeting not found", "Reunión no encontrada"),
            AppError::SeriesNotFound => ("Series not found", "Serie no encontrada"),
            AppError::ZoomOccurrencesDiffer(_) => {
                ("Zoom scheduled other classes", "Zoom programó otras clases")
            }
            AppError::MeetingNotEditable => (
                "Meeting cannot be changed",
                "La reunión no se puede cambiar",
            ),
            AppError::MeetingDeleted => ("Meeting deleted", "Reunión eliminada"),
            AppError::RecordingNotFound => ("Recording not found", "Grabación no encontrada"),
            AppError::RecordingNotArchived => (
                "Recording not archived yet",
                "La grabación aún no está archivada",
            ),
            AppError::RecordingUnpublished => ("Recording unpublished", "Grabación no publicada"),
            AppError::ReportUnavailable { .. } => (
                "Zoom's attendance report is not available",
                "El informe de asistencia de Zoom no está disponible",
            ),
            AppError::SlotConflict { .. } | AppError::SeriesConflict { .. } => {
                ("Time slot taken", "Horario ocupado")
            }
            AppError::NoLicenseAvailable => ("No license available", "No hay licencia disponible"),
            AppError::LicenseInvalid => ("License invalid", "Licencia no válida"),
            AppError::IdempotencyKeyReused => (
                "Idempotency key reused",
                "Clave de idempotencia reutilizada",
            ),
            AppError::IdempotencyInProgress => ("Request in progress", "Solicitud en curso"),
            AppError::Validation(_) => ("Validation failed", "Datos no válidos"),
            AppError::Unauthorized => ("Unauthorized", "No autorizado"),
            AppError::LicenseNotFound => ("License not found", "Licencia no encontrada"),
            AppError::RouteNotFound => ("Route not found", "Ruta no encontrada"),
            AppError::MethodNotAllowed => ("Method not allowed", "Método no permitido"),
            AppError::LicenseNameTaken => ("License name taken", "Nombre de licencia en uso"),
            AppError::LicenseInUse => ("License in use", "Licencia en uso"),
            AppError::VersionConflict { .. } => ("Version conflict", "Conflicto de versión"),
            AppError::PayloadTooLarge => ("Payload too large", "Cuerpo demasiado grande"),
            AppError::UnsupportedMediaType => {
                ("Unsupported media type", "Tipo de contenido no admitido")
            }
            AppError::StoreUnavailable(_) => {
                ("Storage unavailable", "Almacenamiento no disponible")
            }
            AppError::ZoomRateLimited { .. } => ("Zoom rate limit", "Límite de Zoom"),
            AppError::ZoomError { .. } => ("Zoom error", "Error de Zoom"),
            AppError::ZoomUnavailable(_) => ("Zoom unavailable", "Zoom no disponible"),
            AppError::Internal(_) => ("Internal error", "Error interno"),
        };
        self.pick(en, es)
    }

    /// A sentence saying what happened and what to do.
    pub fn detail(self, error: &AppError) -> String {
        self.request_detail(error)
            .or_else(|| self.booking_detail(error))
            .unwrap_or_else(|| self.upstream_detail(error))
    }

    /// What is wrong with the request itself.
    fn request_detail(self, error: &AppError) -> Option<String> {
        match error {
            AppError::MalformedJson { detail: Some(d), .. } => Some(self.pick(
                format!("The body is not valid JSON: {d}."),
                format!("El cuerpo no es JSON válido: {d}."),
            )),
            AppError::MalformedJson { detail: None, .. } => Some(self.pick(
                "Some fields have the wrong JSON type; see errors.",
                "Algunos campos tienen un tipo JSON incorrecto; ver errors.",
            )),
            AppError::Validation(_) => Some(self.pick(
                "Some fields are not valid; see errors.",
                "Algunos campos no son válidos; ver errors.",
            )),
            AppError::Unauthorized => Some(self.pick(
                "Missing or invalid credentials.",
                "Faltan las credenciales o no son válidas.",
            )),
            AppError::IdempotencyKeyReused => Some(self.pick(
                "This Idempotency-Key was used with a different request body.",
                "Esta Idempotency-Key se usó con otro cuerpo de solicitud.",
            )),
            AppError::IdempotencyInProgress => Some(self.pick(
                "A request with this Idempotency-Key is still running; retry shortly.",
                "Una solicitud con esta Idempotency-Key sigue en curso; reintente en unos momentos.",
            )),
            AppError::RouteNotFound => Some(self.pick(
                "There is no such route in this API.",
                "Esta API no tiene esa ruta.",
            )),
            AppError::MethodNotAllowed => Some(self.pick(
                "This route does not accept that method.",
                "Esta ruta no acepta ese método.",
            )),
            AppError::VersionConflict { current } => Some(self.pick(
                format!("The license changed meanwhile: its version is now {current}. Read it again and retry."),
                format!("La licencia cambió mientras tanto: ahora está en la versión {current}. Léala de nuevo y reintente."),
            )),
            AppError::PayloadTooLarge => Some(self.pick(
                "The body is larger than 64 KiB.",
                "El cuerpo supera los 64 KiB.",
            )),
            AppError::UnsupportedMediaType => Some(self.pick(
                "Send the body as application/json.",
                "Envíe el cuerpo como application/json.",
            )),
            _ => None,
        }
    }

    /// What stands in the way among meetings and licenses.
    fn booking_detail(self, error: &AppError) -> Option<String> {
        match error {
            AppError::MeetingNotFound => Some(self.pick(
                "This academy has no meeting with that id.",
                "Esta academia no tiene una reunión con ese id.",
            )),
            AppError::SeriesNotFound => Some(self.pick(
                "This academy has no class series with that id.",
                "Esta academia no tiene una serie de clases con ese id.",
            )),
            AppError::ZoomOccurrencesDiffer(_) => Some(self.pick(
                "Zoom's occurrences of the recurring meeting are not the classes that were booked, so nothing was kept; describe the series with other days or an endTimes count.",
                "Las ocurrencias de Zoom no son las clases reservadas, así que no se guardó nada; describa la serie con otros días o con endTimes.",
            )),
            AppError::ReportUnavailable { reason } => Some(match *reason {
                crate::error::REPORT_PAID_ONLY => self.pick(
                    "Zoom gives participant reports on paid plans only; attendance comes from webhooks alone.",
                    "Zoom solo entrega informes de participantes en planes pagos; la asistencia llega solo por webhooks.",
                ),
                crate::error::REPORT_MISSING_SCOPES => self.pick(
                    "The Zoom app lacks the report scope (report:read:list_meeting_participants:admin or report:read:admin).",
                    "A la app de Zoom le falta el permiso de informes (report:read:list_meeting_participants:admin o report:read:admin).",
                ),
                _ => self.pick(
                    "Zoom has no participant report for this meeting yet (it has not ended, or Zoom is still preparing it). Try again later.",
                    "Zoom todavía no tiene el informe de participantes de esta reunión (no terminó, o Zoom aún lo prepara). Intente más tarde.",
                ),
            }),
            AppError::MeetingNotEditable => Some(self.pick(
                "The meeting has started, ended or was deleted; it can no longer be changed.",
                "La reunión ya empezó, terminó o fue eliminada; ya no se puede cambiar.",
            )),
            AppError::RecordingNotArchived => Some(self.pick(
                "There is no verified copy of this file yet; see its archive status.",
                "Todavía no hay una copia verificada de este archivo; ver su estado de archivo.",
            )),
            AppError::RecordingUnpublished => Some(self.pick(
                "The academy unpublished this recording; no link is handed out.",
                "La academia despublicó esta grabación; no se entregan enlaces.",
            )),
            AppError::MeetingDeleted => Some(self.pick(
                "The meeting was deleted; nobody can start or join it any more.",
                "La reunión fue eliminada; ya nadie puede iniciarla ni unirse a ella.",
            )),
            AppError::SlotConflict { .. } => Some(self.pick(
                "The license already holds as many meetings as it may at that time; see conflicts.",
                "La licencia ya tiene todas las reuniones que admite en ese horario; ver conflicts.",
            )),
            AppError::SeriesConflict { .. } => Some(self.pick(
                "Some occurrences do not fit on the license; nothing was booked. See occurrences.",
                "Algunas ocurrencias no caben en la licencia; no se reservó nada. Ver occurrences.",
            )),
            AppError::NoLicenseAvailable => Some(self.pick(
                "Every usable license of the academy is busy at that time (invalid licenses are never used).",
                "Todas las licencias utilizables de la academia están ocupadas en ese horario (las no válidas nunca se usan).",
            )),
            AppError::LicenseInvalid => Some(self.pick(
                "The license failed verification or Zoom refuses its credentials; fix it (see its verification) and verify it again.",
                "La licencia no pasó la verificación o Zoom rechaza sus credenciales; corríjala (ver su verificación) y verifíquela de nuevo.",
            )),
            AppError::LicenseNotFound => Some(self.pick(
                "This academy has no license with that id.",
                "Esta academia no tiene una licencia con ese id.",
            )),
            AppError::LicenseNameTaken => Some(self.pick(
                "This academy already has a license with that name (names ignore case).",
                "Esta academia ya tiene una licencia con ese nombre (sin distinguir mayúsculas).",
            )),
            AppError::LicenseInUse => Some(self.pick(
                "The license has meetings that have not ended; delete them first or use force=true.",
                "La licencia tiene reuniones que no terminaron; elimínelas antes o use force=true.",
            )),
            _ => None,
        }
    }

    /// What failed on our side or Zoom's.
    fn upstream_detail(self, error: &AppError) -> String {
        match error {
            AppError::StoreUnavailable(_) => self.pick(
                "Storage is not reachable right now; nothing was changed. Retry shortly.",
                "El almacenamiento no responde ahora; no se cambió nada. Reintente en unos momentos.",
            ),
            AppError::ZoomRateLimited { retry_after_secs } => self.pick(
                format!("Zoom is limiting requests for this account; retry in {retry_after_secs} s."),
                format!("Zoom está limitando las solicitudes de esta cuenta; reintente en {retry_after_secs} s."),
            ),
            AppError::ZoomError { zoom_message, .. } => self.pick(
                format!("Zoom answered with an error: {zoom_message}"),
                format!("Zoom respondió con un error: {zoom_message}"),
            ),
            AppError::ZoomUnavailable(_) => self.pick(
                "Zoom could not be reached; nothing was changed. Retry shortly.",
                "No se pudo contactar a Zoom; no se cambió nada. Reintente en unos momentos.",
            ),
            AppError::Internal(_) => self.pick(
                "Something went wrong on our side.",
                "Algo falló de nuestro lado.",
            ),
            _ => self.pick("Internal error.", "Error interno."),
        }
    }

    /// What is wrong with one field.
    pub fn field_message(self, rule: &Rule) -> String {
        match rule {
            Rule::Required => self.pick("is required", "es obligatorio"),
            Rule::NotNull => self.pick("cannot be null", "no puede ser null"),
            Rule::Unknown => self.pick("is not a known field", "no es un campo conocido"),
            Rule::WrongType(t) => self.pick(
                format!("must be a JSON {t}"),
                format!(
                    "debe ser un {} JSON",
                    match *t {
                        "string" => "texto",
                        "integer" => "número entero",
                        "object" => "objeto",
                        "boolean" => "booleano",
                        "array" => "arreglo",
                        other => other,
                    }
                ),
            ),
            Rule::Blank => self.pick("cannot be blank", "no puede estar vacío"),
            Rule::TooLong(max) => self.pick(
                format!("must be at most {max} characters"),
                format!("admite como máximo {max} caracteres"),
            ),
            Rule::InnerWhitespace => self.pick(
                "cannot contain spaces (check what was pasted)",
                "no puede contener espacios (revise lo que pegó)",
            ),
            Rule::ControlCharacters => self.pick(
                "cannot contain control characters",
                "no puede contener caracteres de control",
            ),
            Rule::OutOfRange(min, max) => self.pick(
                format!("must be between {min} and {max}"),
                format!("debe estar entre {min} y {max}"),
            ),
            Rule::NotEmailOrUserId => self.pick(
                "must be the host's email or Zoom user id",
                "debe ser el email o el id de usuario de Zoom del anfitrión",
            ),
            Rule::NotAnEmail => self.pick(
                "must be an email address",
                "debe ser una dirección de email",
            ),
            Rule::InvalidCursor => self.pick(
                "is not a cursor this API gave out",
                "no es un cursor entregado por esta API",
            ),
            Rule::NotBoolean => self.pick("must be true or false", "debe ser true o false"),
            Rule::NotATimeWithOffset => self.pick(
                "must be an RFC 3339 time with an offset, e.g. 2026-12-01T15:00:00-03:00",
                "debe ser una hora RFC 3339 con zona, p. ej. 2026-12-01T15:00:00-03:00",
            ),
            Rule::NotATimezone => self.pick(
                "must be an IANA time zone such as America/Argentina/Buenos_Aires",
                "debe ser una zona horaria IANA como America/Argentina/Buenos_Aires",
            ),
            Rule::OneOf(values) => self.pick(
                format!("must be one of: {}", values.join(", ")),
                format!("debe ser uno de: {}", values.join(", ")),
            ),
            Rule::InvalidIdempotencyKey => self.pick(
                "must be 1-200 visible ASCII characters",
                "debe tener de 1 a 200 caracteres ASCII visibles",
            ),
            Rule::TooManyMeetings(max) => self.pick(
                format!("matches more than {max} meetings: narrow it with from and to"),
                format!("abarca más de {max} reuniones: acótelo con from y to"),
            ),
            Rule::EndBeforeStart => {
                self.pick("must not be before from", "no puede ser anterior a from")
            }
            Rule::InvalidQuery => self.pick(
                "is not a valid query string",
                "no es una cadena de consulta válida",
            ),
            Rule::InvalidAcademyId => self.pick(
                "must be 1-64 characters of a-z, A-Z, 0-9, '_' or '-'",
                "debe tener de 1 a 64 caracteres a-z, A-Z, 0-9, '_' o '-'",
            ),
            Rule::EmptyList => self.pick(
                "must list at least one value",
                "debe indicar al menos un valor",
            ),
            Rule::OnlyForType(t) => self.pick(
                format!("applies only when type is {t}"),
                format!("solo se admite cuando type es {t}"),
            ),
            Rule::ExactlyOneOf(fields) => self.pick(
                format!("needs exactly one of: {}", fields.join(", ")),
                format!("requiere exactamente uno de: {}", fields.join(", ")),
            ),
            Rule::NotADateOrTime => self.pick(
                "must be a date such as 2027-06-30 or an RFC 3339 time with an offset",
                "debe ser una fecha como 2027-06-30 o una hora RFC 3339 con zona",
            ),
            Rule::BeforeStartTime => self.pick(
                "leaves no occurrence: it is before startTime",
                "no deja ninguna clase: es anterior a startTime",
            ),
            Rule::ChangesOccurrenceCount => self.pick(
                "would give the series another number of classes (its endDate): create a new series instead",
                "daría a la serie otra cantidad de clases (por su endDate): cree una serie nueva",
            ),
            Rule::SeriesWide => self.pick(
                "is the same for every class of the series: change it on the series",
                "es igual para todas las clases de la serie: cámbielo en la serie",
            ),
            Rule::TooManyOccurrences(max) => self.pick(
                format!("gives more than {max} occurrences: end the series sooner"),
                format!("da más de {max} clases: termine la serie antes"),
            ),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn lang(value: &str) -> Lang {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(value).unwrap());
        Lang::from_headers(&h)
    }

    #[test]
    fn picks_the_preferred_supported_language() {
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::En);
        assert_eq!(lang("es"), Lang::Es);
        assert_eq!(lang("es-AR,es;q=0.9,en;q=0.8"), Lang::Es);
        assert_eq!(lang("fr, en;q=0.5, es;q=0.7"), Lang::Es);
        assert_eq!(lang("en-US,es;q=0.9"), Lang::En);
        assert_eq!(lang("de"), Lang::En);
        assert_eq!(lang("es;q=0"), Lang::En);
    }
}
