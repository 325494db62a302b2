//! What every invocation shares: the clients and the settings, built once per process
//! (outside the Lambda handler).

use crate::aws::Clients;
use crate::settings::Settings;

pub struct App {
    pub clients: Clients,
    pub settings: Settings,
}
