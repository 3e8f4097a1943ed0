"""Help texts, choices and user levels of the ptycho parameter tree (beamkit's own words).

``HELP`` is keyed by the path relative to a class node (``numiter``,
``illumination.aperture.size``); a full path (``scandata.SimScan.model``) overrides.
"""
from __future__ import annotations

HELP = {
"io": "Input/output settings shared by the interaction server and client",
"io.interaction": "Settings of the ZeroMQ interaction channel",
"io.interaction.server": "Settings of the interaction server",
"io.interaction.server.active": "Start the interaction server when True",
"io.interaction.server.address": "Address (tcp://host) the server binds to",
"io.interaction.server.port": "First port the server binds to",
"io.interaction.server.connections": "How many clients may connect at the same time",
"io.interaction.server.poll_timeout": "Polling period of the server loop (ms)",
"io.interaction.server.pinginterval": "How often client pings are checked (s)",
"io.interaction.server.pingtimeout": "A client silent for this long is dropped (s)",
"io.interaction.client": "Settings of an interaction client",
"io.interaction.client.address": "Address (tcp://host) of the server to reach",
"io.interaction.client.port": "Port of the server to reach",
"io.interaction.client.poll_timeout": "Polling period of the client loop (ms)",
"io.interaction.client.pinginterval": "How often the client pings the server (s)",
"io.interaction.client.connection_timeout": "The server counts as dead after this long without answer (ms)",
"": "Settings of this class",
"name": "Class name that selects this schema",
"dfile": "Path of the .ptyd file the prepared frames are written to",
"chunk_format": "Suffix of per-chunk files when save is 'link'",
"save": "How prepared frames are saved: None, 'append', 'link' or 'merge'",
"auto_center": "Find the diffraction centre from the data (None: only when center is None)",
"load_parallel": "Which loading steps are split between processes",
"rebin": "Bin raw frames by this factor in both axes (None or 1: no binning)",
"orientation": "Flip/transpose code (0-7) or (transpose, flipud, fliplr) applied to raw frames",
"min_frames": "Frames a chunk must hold before it is handed out (live data)",
"positions_theory": "Positions (N, 2) in m that replace the loader's own",
"num_frames": "Largest number of frames to prepare",
"label": "Short unique name of the scan",
"experimentID": "Experiment name (kept for compatibility, unused)",
"version": "Version number of the prepared-data layout",
"shape": "Frame shape cropped from the raw data (int or (rows, cols)), px",
"center": "Optical-axis pixel in the raw frame, or 'fftshift' for the frame middle",
"psize": "Detector pixel size (m), scalar or (rows, cols)",
"distance": "Sample-detector distance (m)",
"energy": "Photon energy (keV)",
"add_poisson_noise": "Add Poisson counting noise to simulated frames",
"scandata.SimScan.add_poisson_noise": "No effect in SimScan: its detector model adds the noise (as ptypy)",
"source": "Other .ptyd file to read instead of dfile (None: use dfile)",
"density": "Step between positions as a fraction of the frame width",
"model": "Scan pattern: 'round', 'raster' or 'spiral'",
"photons": "Photons in the whole illumination",
"psf": "Gaussian detector blur, sigma in px; 0 for none",
"block_wait_count": "Report WAIT after this many chunks to mimic live data (0: never)",
"illumination": "Model of the initial or simulated probe",
"illumination.aperture": "Aperture that shapes the beam",
"illumination.aperture.rotate": "Rotation of the aperture (rad)",
"illumination.aperture.central_stop": "Diameter of the central stop relative to the aperture size",
"illumination.aperture.diffuser": "Diffuser as (rms phase, feature size px[, amplitude spread]); None for none",
"illumination.aperture.edge": "Width of the aperture's soft edge (px)",
"illumination.aperture.form": "Aperture shape: None, 'circ' or 'rect'",
"illumination.aperture.offset": "Aperture centre offset from the optical axis (m)",
"illumination.aperture.size": "Aperture diameter or width (m), scalar or (rows, cols)",
"illumination.diversity": "How further probe modes differ from the first",
"illumination.diversity.noise": "Random (amplitude, phase) noise added to the extra modes",
"illumination.diversity.power": "Power of each extra mode relative to the first",
"illumination.diversity.shift": "Lateral shift of the extra modes (px)",
"illumination.model": "Starting probe: None, 'recon', 'stxm', a resource name or an array",
"illumination.photons": "Photons in the probe; None keeps the model's scale",
"illumination.propagation": "Propagation of the field behind the aperture",
"illumination.propagation.antialiasing": "Oversampling factor used while propagating",
"illumination.propagation.focussed": "Distance from aperture to focus (m); None for no focusing",
"illumination.propagation.parallel": "Free-space propagation distance after the aperture/focus (m)",
"illumination.propagation.spot_size": "Wanted focal spot diameter (m); sets the aperture if given",
"illumination.recon": "Probe taken from an earlier reconstruction file",
"illumination.recon.label": "Scan label whose probe is used",
"illumination.recon.rfile": "Path (format string allowed) of the .ptyr file",
"sample": "Model of the initial or simulated object",
"sample.model": "Starting object: None, 'recon', 'stxm', a resource name or an array",
"sample.fill": "Value the object is filled with where nothing else is known",
"sample.recon": "Object taken from an earlier reconstruction file",
"sample.recon.rfile": "Path (format string allowed) of the .ptyr file",
"sample.stxm": "Starting object from an STXM analysis of the data",
"sample.stxm.label": "Scan label whose data feed the STXM analysis",
"sample.process": "Processing that turns the model into a complex transmission",
"sample.process.offset": "Offset (px) of the model relative to the scan pattern",
"sample.process.zoom": "Zoom factor applied to the model",
"sample.process.formula": "Chemical formula of the sample material",
"sample.process.density": "Mass density of the material (g/cm^3)",
"sample.process.thickness": "Largest thickness of the sample (m)",
"sample.process.ref_index": "Refractive index as (delta, beta); used when no formula is given",
"sample.process.smoothing": "Gaussian smoothing of the model (px)",
"sample.diversity": "How further object modes differ from the first",
"sample.diversity.noise": "Random (amplitude, phase) noise added to the extra modes",
"sample.diversity.power": "Power of each extra mode relative to the first",
"sample.diversity.shift": "Lateral shift of the extra modes (px)",
"xy": "Scan pattern of the simulation",
"xy.override": "Positions (N, 2) in m that replace the generated pattern",
"xy.model": "Pattern: None, 'round', 'raster', 'spiral' or an (N, 2) array",
"xy.extent": "Size of the scanned area (m), scalar or (rows, cols)",
"xy.spacing": "Distance between neighbouring positions (m)",
"xy.steps": "Number of steps per axis (raster) or of shells (round)",
"xy.offset": "Offset added to every position (m)",
"xy.jitter": "Random displacement of every position (m); no effect, as in ptypy",
"xy.count": "Keep only this many positions (None: all)",
"pos_noise": "Position noise (m); declared by ptypy, no effect",
"pos_scale": "Gain of the position noise; declared by ptypy, no effect",
"pos_drift": "Position drift (m per frame); declared by ptypy, no effect",
"detector": "Detector preset name or settings; {} the generic CCD, None an ideal detector",
"frame_size": "Frame shape (declared by ptypy, no effect: frames keep the full shape)",
"verbose_level": "Log level during the simulation",
"plot": "Show diagnostic plots of the simulation",
"propagation": "Propagation to the detector: 'farfield' or 'nearfield'",
"tags": "Free tags describing the data",
"ffttype": "FFT library to use",
"data": "Data source of the scan; its name selects the loader",
"data.name": "Loader class name (a scandata entry)",
"resample": "Ratio of object-grid to detector sampling",
"illumination.size": "Diameter of the initial probe disc (m)",
"coherence": "Mode decomposition of the partially coherent beam and object",
"coherence.num_probe_modes": "Number of mutually incoherent probe modes",
"coherence.num_object_modes": "Number of mutually incoherent object modes",
"coherence.energies": "Relative energies of the modes",
"coherence.spectrum": "Relative weight of each energy bin",
"coherence.object_dispersion": "How the object responds to energy: None, 'mask' or 'full'",
"coherence.probe_dispersion": "How the probe responds to energy: None, 'mask', 'linear' or 'full'",
"resolution": "Object pixel size to enforce (m); None derives it from the geometry",
"numiter": "Iterations to run",
"numiter_contiguous": "Iterations run before control returns for saving, plotting and requests",
"probe_support": "Probe area kept, as a fraction of the frame area (None: no support)",
"probe_fourier_support": "Support of the probe in Fourier space, as a fraction of the frame area",
"record_local_error": "Keep per-frame error maps in the run record",
"position_refinement": "Refine scan positions (True, False or settings)",
"position_refinement.method": "Search method: 'Annealing' or 'GridSearch'",
"position_refinement.start": "Iteration at which refinement starts",
"position_refinement.stop": "Iteration at which refinement stops (None: the last)",
"position_refinement.interval": "Refine every this many iterations",
"position_refinement.nshifts": "Trial shifts per refinement step (a multiple of 4)",
"position_refinement.amplitude": "Largest trial shift per step (m)",
"position_refinement.amplitude_decay": "Shrink the trial amplitude linearly towards stop",
"position_refinement.max_shift": "Largest allowed distance from the starting position (m)",
"position_refinement.metric": "Error used to rank trials: 'fourier' or 'photon'",
"position_refinement.record": "Save refined positions in the result file",
"probe_update_start": "Iteration from which the probe is updated",
"subpix_start": "Iteration from which sub-pixel shifts are used",
"subpix": "Sub-pixel interpolation: 'fourier', 'linear' or None",
"update_object_first": "Update the object before the probe in the overlap loop",
"overlap_converge_factor": "Stop the overlap loop when the relative probe change falls below this",
"overlap_max_iterations": "Most passes of the overlap loop per iteration",
"probe_inertia": "Weight of the current probe in its update",
"object_inertia": "Weight of the current object in its update",
"fourier_power_bound": "Skip the Fourier step for frames whose power error is below this "
                       "(None: from fourier_relax_factor)",
"fourier_relax_factor": "Relative tolerance that sets the Fourier power bound",
"obj_smooth_std": "Gaussian smoothing (px) of the object used as inertia (None: none)",
"clip_object": "Clip object amplitudes into (min, max) (None: no clipping)",
"probe_center_tol": "Re-centre the probe when its centre of mass is further off than this (px; None: never)",
"compute_log_likelihood": "Compute the photon error each iteration (costs time)",
"alpha": "Mixing between difference map (1) and alternating projections (0)",
"beta": "Relaxation parameter",
"IP_metric": "Weight of the exit-wave term in the per-position probe update (DMOPR)",
"subspace_dim": "Dimension of the subspace the probes of all positions are projected on (OPR)",
"subspace_start": "Iterations before the OPR subspace grows from 1 to subspace_dim",
"object_norm_is_global": "Normalise the probe step by the maximum of the whole object",
"sigma": "Relaxed Fourier reflection parameter",
"tau": "Relaxed modulus constraint parameter",
"beta_probe": "Step-size parameter of the probe update",
"beta_object": "Step-size parameter of the object update",
"ML_type": "Noise model: 'gaussian', 'poisson' or 'euclid'",
"floating_intensities": "Fit a scale factor per frame",
"intensity_renormalization": "Factor that turns intensities into photon counts",
"reg_del2": "Use the smoothness (Gaussian prior) regulariser",
"reg_del2_amplitude": "Strength of the smoothness regulariser",
"smooth_gradient": "Width (px) of the Gaussian smoothing of the object gradient (0: off)",
"smooth_gradient_decay": "Relative decrease of smooth_gradient per iteration",
"scale_precond": "Balance probe and object step sizes automatically",
"scale_probe_object": "Relative scale of probe and object steps",
"poly_line_coeffs": "Line-search polynomial: 'quadratic' or 'all' (quartic)",
"wavefield_precond": "Divide gradients by the local fluence of probe and object",
"wavefield_delta_object": "Regularisation of the object preconditioner",
"wavefield_delta_probe": "Regularisation of the probe preconditioner",
"sample_support": "Support constraint on the sample",
"sample_support.type": "Support geometry",
"sample_support.size": "Thickness or radius of the support (m)",
"sample_support.coefficient": "Factor applied to the object outside the support",
"sample_support.shrinkwrap": "Shrink-wrap settings (None: fixed support)",
"sample_support.shrinkwrap.smooth": "Smoothing width for shrink-wrap (px)",
"sample_support.shrinkwrap.cutoff": "Threshold of the shrink-wrap support",
"sample_support.shrinkwrap.monotonic": "Force a monotonic object profile",
"sample_support.shrinkwrap.start": "Iteration from which shrink-wrap runs",
"sample_support.shrinkwrap.plot": "Send shrink-wrap data to the plot client",
"ptycho": "Settings of a whole reconstruction",
"ptycho.verbose_level": "Log level: a name ('critical' .. 'debug', 'interactive', 'citation') or 0-5",
"ptycho.data_type": "Floating-point precision of the reconstruction: 'single' or 'double'",
"ptycho.run": "Name of the run (None: from the script name)",
"ptycho.frames_per_block": "Largest number of frames per storage block",
"ptycho.min_frames_for_recon": "Frames that must be loaded before reconstruction starts",
"ptycho.dry_run": "Declared by ptypy but not implemented there: the run goes ahead",
"ptycho.ipython_kernel": "Start an IPython kernel for inspection",
"ptycho.io": "Files, plots and interaction of the run",
"ptycho.io.home": "Directory all outputs go under",
"ptycho.io.rfile": "Result file name (format string)",
"ptycho.io.rformat": "Layout of the result file",
"ptycho.io.interaction": "Live access to the reconstruction over ZeroMQ",
"ptycho.io.interaction.active": "Start the interaction server",
"ptycho.io.interaction.server": "Server settings (see io.interaction.server)",
"ptycho.io.interaction.client": "Client settings (see io.interaction.client)",
"ptycho.io.autosave": "Periodic saving of the reconstruction",
"ptycho.io.autosave.active": "Save periodically when True",
"ptycho.io.autosave.interval": "Iterations between saves (-1: never)",
"ptycho.io.autosave.rfile": "Autosave file name (format string)",
"ptycho.io.autoplot": "Plots made during the run",
"ptycho.io.autoplot.active": "Make plots when True",
"ptycho.io.autoplot.imfile": "Plot file name (format string)",
"ptycho.io.autoplot.interval": "Iterations between plots (-1: never)",
"ptycho.io.autoplot.threaded": "Plot in a separate live client",
"ptycho.io.autoplot.layout": "Plot layout name",
"ptycho.io.autoplot.dump": "Write the plots to image files",
"ptycho.io.autoplot.make_movie": "Make a movie of the saved plots at the end",
"ptycho.io.benchmark": "Record timings of the run phases ('all' writes benchmark.json)",
"ptycho.scans": "The scans of the run, by any name",
"ptycho.scans.*": "One scan; its name chooses the scan model",
"ptycho.engines": "The engines to run in turn, by any name",
"ptycho.engines.*": "One engine; its name chooses the algorithm",
# Bragg / DM_3dBragg extras and class-specific meanings
"scan.Bragg3dModel.data": "Data source of the scan; its name selects the loader",
"scandata.QuickScan.density": "Step between positions as a fraction of the frame width",
"scandata.SimScan.model": "Scan pattern of the simulation",
"scandata.SimScan.photons": "Photons in the whole illumination",
}

HELP.update({
    "scan": "Scan models: how probe, object and views are built from a data source",
    "scandata": "Data sources: loaders and simulations that deliver frames",
    "engine": "Reconstruction algorithms",
    "scan.ScanModel": "Settings common to all scan models",
    "scan.BlockScanModel": "Settings common to the block-storage scan models",
    "scan.Vanilla": "One probe and one object, the simplest model",
    "scan.BlockVanilla": "Vanilla with frames in large block storages",
    "scan.Full": "Probe and object modes with illumination and sample models",
    "scan.BlockFull": "Full with frames in large block storages",
    "scan.OPRModel": "Full with one probe per position (orthogonal probe relaxation)",
    "scan.BlockOPRModel": "OPRModel with frames in large block storages",
    "scan.GradFull": "Full with one exit wave per frame shared by all modes, for gradient engines",
    "scan.BlockGradFull": "GradFull with frames in large block storages",
    "scan.Bragg3dModel": "Three-dimensional Bragg ptychography model",
    "scandata.PtyScan": "Base loader: geometry, cropping, orientation and chunking of frames",
    "scandata.PtydScan": "Reads prepared frames from a .ptyd file",
    "scandata.MoonFlowerScan": "Simulated test scan: a flower-like object under a moon-like probe",
    "scandata.QuickScan": "Frames with a single bright pixel, to time model creation",
    "scandata.SimScan": "Scan simulated from illumination, sample and scan-pattern models",
    "engine.DM": "Difference map",
    "engine.RAAR": "Relaxed averaged alternating reflections",
    "engine.EPIE": "Extended ptychographic iterative engine (frame by frame)",
    "engine.SDR": "Semi-implicit relaxed Douglas-Rachford (frame by frame)",
    "engine.ML": "Maximum likelihood by conjugate gradients",
    "engine.DM_3dBragg": "Difference map for 3-d Bragg ptychography",
    "scandata.SimScan.illumination": "Illumination of the simulation",
    "scandata.SimScan.sample": "Sample of the simulation",
})

# longer explanations (beamkit's words), keyed like HELP
DOC = {
    "save": "None writes nothing.  'append' puts every chunk into the .ptyd file named by dfile; "
            "'link' writes each chunk to dfile.partNNN and links it from the main file.  'merge' "
            "is treated as 'append'.",
    "auto_center": "True: always take the centre of mass of the summed frames; False: never; None: "
                   "only when center is None.",
    "orientation": "Codes as ptypy: 1 flips columns (left-right), 2 flips rows (up-down), 4 transposes, "
                   "sums combine them (the transpose comes first).  A 3-tuple gives (transpose, "
                   "flipud, fliplr) directly.",
    "rebin": "The frames are summed over rebin x rebin blocks after cropping, so counts are kept; a "
             "binned pixel is valid only when all its pixels are.  The final frame has shape/rebin "
             "pixels of psize*rebin.",
    "center": "'fftshift' is the middle of the raw frame (N//2).  The final frame's centre is "
              "reported in the chunk's common data.",
    "shape": "The region cropped (or zero-padded) around the centre before rebinning.",
    "min_frames": "A chunk is handed out only when this many new frames can be read, except at the "
                  "end of the scan; until then auto() answers WAIT.",
    "positions_theory": "When set, the loader's own positions are ignored and the frame count is "
                        "cut to the number of positions.",
    "num_frames": "The simulations report the count they actually produce (for example 161 for a "
                  "round MoonFlowerScan asked for 200), in the chunk's common data.",
    "block_wait_count": "Emulates a live source: after every this many chunks one call of auto() "
                        "answers WAIT.",
    "scandata.SimScan.illumination.model":
        "None builds the probe from aperture and propagation; 'moon' (the generated test probe) or "
        "an array is taken as the field in the aperture plane and then propagated.",
    "scandata.SimScan.illumination.diversity.power":
        "A list gives one extra incoherent mode per entry (orthogonalised, with this relative "
        "power); a single number adds no mode.",
    "scandata.SimScan.sample.model":
        "None (flat fill), 'flower' (the generated test object) or a 2-d array.",
    "scandata.SimScan.sample.process.ref_index":
        "Used only without a formula, as (phase shift in rad, absorption exponent) at full height "
        "of the model.",
    "scandata.SimScan.sample.process.formula":
        "The refractive index is computed with the periodictable package at the scan's energy; the "
        "model's normalised amplitude is the height map scaled to thickness.",
    "scandata.SimScan.xy.model": "None in SimScan means a round pattern from spacing and extent.",
    "pos_noise": "ptypy's SimScan never reads it: the positions handed to the reconstruction are "
                 "the xy positions (the same holds for pos_scale, pos_drift and frame_size).",
    "detector": "A preset (PILATUS_300K, PILATUS_1M, GenericCCD16bit, FRELON_TAPER, ...) or a dict "
                "of qe, adu, full_well, shot_noise (read-noise rms), dtype, psf, sci_psf, sci_qe "
                "applies ptypy's detector model: Poisson(qe*I), read noise, full-well clip, /adu, "
                "the dtype's limit; PILATUS gaps, off-detector and saturated pixels become zero "
                "weights. {}: the generic CCD; None: an ideal detector; an unknown name falls back "
                "to the generic CCD with a warning.",
    "psf": "A number is a Gaussian sigma in pixels, a pair gives one per axis, a 2-d array is a "
           "kernel used as given (not normalised).",
    "probe_support": "The probe is set to zero outside a centred disc whose area is this fraction "
                     "of the frame area (0.7 keeps a disc of radius ~0.47 N).",
    "fourier_relax_factor": "Frames whose power error is below 0.25 * factor**2 * (largest "
                            "frame power) are left as they are in the Fourier step; raise it for "
                            "noisy data.",
    "position_refinement": "True switches refinement on with the defaults from iteration 0; a "
                           "sub-tree switches it on only with start or stop set (as ptypy).",
    "ML_type": "The case of the name does not matter.",
    "floating_intensities": "One scale factor per frame is fitted between model and data.",
    "smooth_gradient": "The width shrinks by smooth_gradient_decay every iteration.",
    "ptycho.frames_per_block": "Block storages hold at most this many frames.",
    "ptycho.min_frames_for_recon": "For live data: iterations start only once this many frames "
                                   "have arrived.",
    "ptycho.io.rfile": "Format keys: %(run)s, %(engine)s, %(iterations)04d; relative to io.home.",
    "ptycho.io.autosave.rfile": "Format keys: %(run)s, %(engine)s, %(iterations)04d; relative to "
                                "io.home.",
    "ptycho.io.autoplot.imfile": "Format keys: %(run)s, %(engine)s, %(iterations)04d; joined to "
                                 "io.home as a path.",
    "ptycho.io.benchmark": "'all' writes benchmark.json with the seconds spent in data loading and "
                           "in each engine phase; other values write nothing (as ptypy).",
    "ptycho.verbose_level": "Numbers as ptypy: 0 critical, 1 error, 2 warning, 3 info, 4 inspect, 5 "
                            "debug; 'interactive' shows errors only and 'citation' critical messages "
                            "and the citation report.",
    "scandata.QuickScan.name": "ptypy's own default here is 'MoonFlowerScan' (kept for the "
                               "reference); choose QuickScan with name='QuickScan'.",
}

# choices, checked by the core tree; keyed like HELP
CHOICES = {
    "save": [None, "merge", "append", "link"],
    "load_parallel": [None, "data", "common", "all"],
    "scandata.MoonFlowerScan.model": ["round", "raster", "spiral"],
    "illumination.aperture.form": [None, "circ", "rect"],
    "propagation": ["farfield", "nearfield"],
    "ffttype": ["scipy", "numpy", "fftw"],
    "coherence.object_dispersion": [None, "achromatic", "linear", "irregular"],
    "coherence.probe_dispersion": [None, "achromatic", "linear", "irregular"],
    "position_refinement.method": ["Annealing", "GridSearch"],
    "position_refinement.metric": ["fourier", "photon"],
    "subpix": [None, "fourier", "linear"],
    "ML_type": ["gaussian", "poisson", "euclid", "Gaussian", "Poisson", "Euclid"],
    "poly_line_coeffs": ["quadratic", "all"],
    "ptycho.data_type": ["single", "double"],
    "ptycho.io.rformat": ["minimal", "dump", "dls", "used_params", "fullflat"],
}

# user levels (0 basic, 1 common, 2 expert); anything not listed is 1
LEVEL0 = {
    "name", "numiter", "num_frames", "shape", "energy", "distance", "psize", "center", "dfile",
    "save", "probe_support", "alpha", "beta", "ML_type", "illumination.model", "sample.model",
    "illumination.aperture.size", "illumination.aperture.form", "illumination.photons",
    "coherence.num_probe_modes", "data", "ptycho.io.home", "ptycho.run", "ptycho.scans",
    "ptycho.engines", "ptycho.verbose_level", "ptycho.data_type", "xy.model", "photons",
}
LEVEL2 = {
    "experimentID", "version", "load_parallel", "chunk_format", "block_wait_count",
    "ffttype", "overlap_converge_factor", "overlap_max_iterations", "probe_inertia",
    "object_inertia", "subpix", "subpix_start", "scale_probe_object", "poly_line_coeffs",
    "intensity_renormalization", "ptycho.ipython_kernel", "ptycho.dry_run",
    "io.interaction.server.connections", "io.interaction.server.poll_timeout",
    "io.interaction.server.pinginterval", "io.interaction.server.pingtimeout",
    "io.interaction.client.poll_timeout", "io.interaction.client.pinginterval",
    "io.interaction.client.connection_timeout", "wavefield_delta_object", "wavefield_delta_probe",
}


def lookup(table, path: str, rel: str):
    """Entry of ``table`` for a full path, else for its class-relative path, else None."""
    if path in table:
        return table[path]
    return table.get(rel)


def userlevel(path: str, rel: str) -> int:
    """User level (0, 1 or 2) of an entry."""
    if path in LEVEL0 or rel in LEVEL0:
        return 0
    if path in LEVEL2 or rel in LEVEL2:
        return 2
    return 1
