"""Procedural heads: an analytic head ray-cast by an orthographic camera at a yaw, so
that every identity exists at every angle (synthetic_heads). Written for one image and
vmapped over identities; jitted XLA on the CPU, no 3D or GPU dependency.

The head, in its own frame (x to its left ear's side, y up, z out of the face):
an ellipsoid skull, an ellipsoid nose on the face, two ellipsoid ears and a cylinder
neck. Albedo features are painted on the skull in the head's frame — eyes (sclera,
iris, pupil), brows, mouth, and hair above a hairline that falls toward the back — by
their azimuth phi = atan2(x, z) (0: the face's centre) and height y / b. Turning the
head by the yaw hides what turns away (an eye at the far profile) and shows what was
hidden (an ear), which an in-plane rotation cannot do. Lambert shading from a light
fixed in the camera's frame (so shading changes as the head turns), optionally jittered
per image; supersampled and box-filtered.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

BACKGROUND = 0.55          # grey, the same for every image
AMBIENT, DIFFUSE = 0.35, 0.75
LIGHT = (-0.45, 0.5, 0.75)  # toward the light, camera frame (x right, y up, z to the camera)
VIEW_HALF_WIDTH = 1.3      # the image spans [-1.3, 1.3] in head units

# Parts of the part map (what each supersampled pixel shows).
BACKGROUND_PART, SKIN, HAIR, EYE_LEFT, EYE_RIGHT, MOUTH, BROW = range(7)

# Identity parameters and their ranges (uniform unless said): name -> (low, high).
RANGES = {
    'skull_width': (0.66, 0.80), 'skull_height': (0.86, 1.0), 'skull_depth': (0.78, 0.92),
    'nose_length': (0.10, 0.22), 'nose_width': (0.08, 0.13), 'nose_height': (0.10, 0.16),
    'nose_y': (-0.20, -0.08),
    'ear_size': (0.15, 0.25), 'ear_y': (-0.12, 0.04),
    'eye_azimuth': (0.30, 0.42), 'eye_y': (0.06, 0.18), 'eye_radius': (0.10, 0.14),
    'brow_gap': (0.08, 0.14), 'brow_thickness': (0.025, 0.05),
    'mouth_y': (-0.58, -0.46), 'mouth_width': (0.14, 0.26), 'mouth_height': (0.04, 0.08),
    'hairline_front': (0.42, 0.75), 'hair_back': (-0.75, 0.05),
    'skin_tone': (0.0, 1.0),
}
SKIN_LIGHT, SKIN_DARK = np.array([0.96, 0.80, 0.69]), np.array([0.42, 0.28, 0.20])
HAIR_COLOURS = np.array([[0.08, 0.06, 0.05], [0.35, 0.22, 0.12], [0.80, 0.66, 0.38],
                         [0.62, 0.25, 0.10], [0.62, 0.62, 0.62]])
IRIS_COLOURS = np.array([[0.30, 0.18, 0.08], [0.25, 0.45, 0.70], [0.35, 0.50, 0.30],
                         [0.15, 0.10, 0.05]])
LIP_COLOUR = np.array([0.70, 0.32, 0.32])


def draw_identities(seed, count):
  """{name: (count,) or (count, 3) float32}: `count` heads drawn from RANGES, with skin
  between SKIN_LIGHT and SKIN_DARK, a hair colour from HAIR_COLOURS and an iris
  colour from IRIS_COLOURS (each jittered by up to 0.05), deterministic in seed."""
  rng = np.random.default_rng(seed)
  out = {name: rng.uniform(lo, hi, count) for name, (lo, hi) in RANGES.items()}
  jitter = lambda: rng.uniform(-0.05, 0.05, (count, 3))
  tone = out.pop('skin_tone')[:, None]
  out['skin'] = (1 - tone) * SKIN_LIGHT + tone * SKIN_DARK + jitter()
  out['hair'] = HAIR_COLOURS[rng.integers(0, len(HAIR_COLOURS), count)] + jitter()
  out['iris'] = IRIS_COLOURS[rng.integers(0, len(IRIS_COLOURS), count)] + jitter()
  return {k: np.clip(v, 0, 1).astype(np.float32) for k, v in out.items()}


def _rotation_y(yaw):
  c, s = jnp.cos(yaw), jnp.sin(yaw)
  return jnp.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _ellipsoid(origin, direction, centre, axes):
  """(t, normal) of rays (..., 3) against an axis-aligned ellipsoid; t = inf on a miss."""
  o, d = (origin - centre) / axes, direction / axes
  a, b, c = jnp.sum(d * d, -1), 2 * jnp.sum(o * d, -1), jnp.sum(o * o, -1) - 1
  disc = b * b - 4 * a * c
  t = (-b - jnp.sqrt(jnp.maximum(disc, 0.0))) / (2 * a)
  t = jnp.where((disc > 0) & (t > 0), t, jnp.inf)
  hit = origin + jnp.where(jnp.isfinite(t), t, 0.0)[..., None] * direction
  return t, (hit - centre) / axes ** 2


def _neck(origin, direction, radius, top):
  """(t, normal) against a vertical cylinder of `radius` below y = top."""
  o, d = origin[..., [0, 2]], direction[..., [0, 2]]
  a, b, c = jnp.sum(d * d, -1), 2 * jnp.sum(o * d, -1), jnp.sum(o * o, -1) - radius ** 2
  disc = b * b - 4 * a * c
  t = (-b - jnp.sqrt(jnp.maximum(disc, 0.0))) / (2 * jnp.maximum(a, 1e-9))
  hit = origin + jnp.where(disc > 0, t, 0.0)[..., None] * direction
  t = jnp.where((disc > 0) & (t > 0) & (hit[..., 1] < top), t, jnp.inf)
  return t, hit * jnp.array([1.0, 0.0, 1.0])


def _smoothstep(lo, hi, x):
  s = jnp.clip((x - lo) / (hi - lo), 0.0, 1.0)
  return s * s * (3 - 2 * s)


def render(head, yaw, light_jitter=(0.0, 0.0, 1.0), size=64, supersample=2):
  """(image (size, size, 3) float in [0, 1], parts (S, S) int) of one head at `yaw`
  radians (positive turns the face toward the image's right, hiding the eye on the
  head's +x side); parts at the supersampled resolution S = size * supersample.

  head: one identity of draw_identities (scalars and RGB triples); light_jitter:
  (azimuth offset rad, elevation offset rad, intensity factor) of this image's light."""
  n = size * supersample
  coords = (jnp.arange(n) + 0.5) / n * 2 * VIEW_HALF_WIDTH - VIEW_HALF_WIDTH
  u, v = jnp.meshgrid(coords, -coords)
  rotation = _rotation_y(yaw)             # head frame -> camera frame
  origin = jnp.stack([u, v + 0.1, jnp.full_like(u, 10.0)], -1) @ rotation  # into head frame
  direction = jnp.broadcast_to(jnp.array([0.0, 0.0, -1.0]) @ rotation, origin.shape)

  skull_axes = jnp.array([head['skull_width'], head['skull_height'], head['skull_depth']])
  ear_axes = jnp.array([0.07, head['ear_size'], 0.6 * head['ear_size']])
  hits = [
      _ellipsoid(origin, direction, jnp.zeros(3), skull_axes),
      _ellipsoid(origin, direction,
                 jnp.array([0.0, head['nose_y'], 0.97 * head['skull_depth']]),
                 jnp.array([head['nose_width'], head['nose_height'], head['nose_length']])),
      _ellipsoid(origin, direction, jnp.array([head['skull_width'], head['ear_y'], -0.05]),
                 ear_axes),
      _ellipsoid(origin, direction, jnp.array([-head['skull_width'], head['ear_y'], -0.05]),
                 ear_axes),
      _neck(origin, direction, 0.42 * head['skull_width'] + 0.12, -0.5 * head['skull_height']),
  ]
  ts = jnp.stack([t for t, _ in hits])
  nearest = jnp.argmin(ts, 0)
  hit_any = jnp.isfinite(jnp.min(ts, 0))
  normal = jnp.take_along_axis(jnp.stack([nm for _, nm in hits]), nearest[None, ..., None], 0)[0]
  t = jnp.where(hit_any, jnp.min(ts, 0), 0.0)
  point = origin + t[..., None] * direction

  # Albedo painted on the skull by azimuth and height.
  phi = jnp.arctan2(point[..., 0], point[..., 2])
  height = point[..., 1] / head['skull_height']
  on_skull = nearest == 0
  hairline = head['hairline_front'] + (head['hair_back'] - head['hairline_front']) * _smoothstep(
      0.7, 2.2, jnp.abs(phi))
  hair = on_skull & (height > hairline)
  parts = jnp.where(hit_any, SKIN, BACKGROUND_PART)
  albedo = jnp.broadcast_to(head['skin'], point.shape)
  for side, part in ((1.0, EYE_LEFT), (-1.0, EYE_RIGHT)):
    du = (phi - side * head['eye_azimuth']) / head['eye_radius']
    dv = (height - head['eye_y']) / (0.55 * head['eye_radius'])
    r2 = du * du + dv * dv
    eye = on_skull & (r2 < 1) & ~hair
    colour = jnp.where((r2 < 0.09)[..., None], 0.05,
                       jnp.where((du * du + (dv * 0.55) ** 2 < 0.25)[..., None], head['iris'], 0.95))
    albedo = jnp.where(eye[..., None], colour, albedo)
    parts = jnp.where(eye, part, parts)
    bu = (phi - side * head['eye_azimuth']) / (1.2 * head['eye_radius'])
    bv = height - head['eye_y'] - head['brow_gap'] + 0.04 * bu * bu
    brow = on_skull & (jnp.abs(bu) < 1) & (jnp.abs(bv) < head['brow_thickness']) & ~hair
    albedo = jnp.where(brow[..., None], 0.6 * head['hair'], albedo)
    parts = jnp.where(brow, BROW, parts)
  mu, mv = phi / head['mouth_width'], (height - head['mouth_y']) / head['mouth_height']
  mouth = on_skull & (mu * mu + mv * mv < 1)
  albedo = jnp.where(mouth[..., None], LIP_COLOUR, albedo)
  parts = jnp.where(mouth, MOUTH, parts)
  albedo = jnp.where(hair[..., None], head['hair'], albedo)
  parts = jnp.where(hair, HAIR, parts)

  azimuth, elevation, intensity = light_jitter
  light = jnp.array(LIGHT) / np.linalg.norm(LIGHT)
  light = _rotation_y(azimuth) @ light
  light = light + jnp.array([0.0, jnp.sin(elevation), 0.0])
  light = light / jnp.linalg.norm(light)
  camera_normal = normal @ rotation.T
  camera_normal = camera_normal / jnp.maximum(jnp.linalg.norm(camera_normal, axis=-1,
                                                              keepdims=True), 1e-9)
  shade = AMBIENT + DIFFUSE * intensity * jnp.maximum(camera_normal @ light, 0.0)
  colour = jnp.where(hit_any[..., None], jnp.clip(albedo * shade[..., None], 0, 1), BACKGROUND)
  image = colour.reshape(size, supersample, size, supersample, 3).mean((1, 3))
  return image, parts


def render_batch(heads, yaws, light_jitter, size=64, supersample=2):
  """uint8 images (N, size, size, 3) of N heads (draw_identities arrays) at yaws (N,)
  radians with light jitter (N, 3)."""
  images, _ = _render_batch(heads, jnp.asarray(yaws, jnp.float32),
                            jnp.asarray(light_jitter, jnp.float32), size, supersample)
  return np.asarray(jnp.round(images * 255)).astype(np.uint8)


@functools.partial(jax.jit, static_argnums=(3, 4))
def _render_batch(heads, yaws, light_jitter, size, supersample):
  return jax.vmap(lambda h, y, l: render(h, y, l, size, supersample))(heads, yaws, light_jitter)
