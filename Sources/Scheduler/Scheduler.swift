/// The periodic scheduler (cron expressions, leader-elected) lands with the scheduling issue; this
/// module exists so that the package keeps the layout the product is built around.
public enum Scheduler {}
