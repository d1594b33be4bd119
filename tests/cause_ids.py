"""The cause ids the simulator's fault library and the diagnosis knowledge base agreed on
(issues 12 and 13), written down once so that a rename in either place fails a test."""

AGREED_IDS = """vacuum_leak maf_under_reading maf_over_reading map_sensor_bias iat_sensor_fault
clogged_air_filter dirty_throttle_body low_fuel_pressure weak_fuel_pump clogged_fuel_filter
leaking_fuel_pressure_regulator leaking_injector clogged_injector low_rail_pressure_di misfire
ignition_coil worn_spark_plugs low_compression knock_sensor_fault slow_upstream_o2
dead_upstream_o2 slow_downstream_o2 dead_downstream_o2 o2_heater_upstream o2_heater_downstream
coolant_sensor_fault tps_fault crank_sensor_intermittent cam_sensor_intermittent vvt_stuck
low_catalyst_efficiency clogged_catalyst egr_stuck egr_insufficient_flow evap_small_leak
loose_gas_cap purge_valve_stuck_open thermostat_stuck_open thermostat_stuck_closed
cooling_fan_failure coolant_loss weak_battery charging_fault alternator_overcharging boost_leak
overboost dpf_clogged glow_plug_fault injector_leak_back diesel_rail_pressure_low tcc_stuck_off
transmission_slipping transmission_overheating""".split()
#: the ids that take a cylinder qualifier (``misfire:2``)
PER_CYLINDER_IDS = {"misfire", "ignition_coil", "clogged_injector", "low_compression"}
