/*
 * Region picker: turns the plain district (6-digit) and street (9-digit) code
 * inputs inside [data-region-picker] into cascading selects
 * (province → city → district → street), filled from the public API
 * GET /api/v1/regions/?parent=<code>&level=<level>&page_size=100.
 *
 * Progressive enhancement: the code inputs stay in the form and carry the
 * values; without JavaScript, or if the API cannot be reached, they are
 * simply shown and typed into. Labels come from data-* attributes so that
 * they are translated with the page.
 */
(function () {
  "use strict";

  var LEVELS = ["province", "city", "district", "street"];

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(
      function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      }
    );
  }

  // All pages of a list: follow `next`, so a parent with more than 100 children still lists all.
  function getAll(url) {
    var results = [];
    function step(pageUrl) {
      return getJSON(pageUrl).then(function (data) {
        results = results.concat(data.results || []);
        return data.next ? step(data.next) : results;
      });
    }
    return step(url);
  }

  function RegionPicker(container) {
    this.container = container;
    this.api = container.getAttribute("data-api");
    this.text = {};
    var names = ["choose", "loading", "failed", "no-district"];
    for (var i = 0; i < names.length; i++) {
      this.text[names[i]] = container.getAttribute("data-" + names[i]) || "";
    }
    this.districtInput = container.querySelector('input[name="district"]');
    this.streetInput = container.querySelector('input[name="street"]');
    this.selects = {};
    this.requests = {};
  }

  RegionPicker.prototype.listUrl = function (params) {
    var query = new URLSearchParams(params);
    query.set("page_size", "100");
    return this.api + "?" + query.toString();
  };

  RegionPicker.prototype.wrapperOf = function (input) {
    return input.closest(".field") || input.parentNode;
  };

  RegionPicker.prototype.build = function () {
    var self = this;
    var district = this.wrapperOf(this.districtInput);
    this.box = document.createElement("div");
    this.box.className = "region-selects";
    this.status = document.createElement("p");
    this.status.className = "region-picker-status";
    this.status.setAttribute("role", "status");
    this.status.hidden = true;

    LEVELS.forEach(function (level) {
      var field = document.createElement("div");
      field.className = "field";
      var id = "region-select-" + level;
      var label = document.createElement("label");
      label.setAttribute("for", id);
      label.textContent = self.container.getAttribute("data-label-" + level) || level;
      var select = document.createElement("select");
      select.id = id;
      // No name: the selects only drive the code inputs, which are what the form submits.
      select.disabled = true;
      select.addEventListener("change", function () {
        self.changed(level);
      });
      field.appendChild(label);
      field.appendChild(select);
      self.box.appendChild(field);
      self.selects[level] = select;
    });

    // Server-side errors of the code inputs stay visible next to the matching select.
    this.moveErrors(this.districtInput, this.selects.district);
    this.moveErrors(this.streetInput, this.selects.street);

    district.parentNode.insertBefore(this.status, district);
    district.parentNode.insertBefore(this.box, district);
    this.hideCodeInputs(true);
  };

  RegionPicker.prototype.moveErrors = function (input, select) {
    var errors = this.wrapperOf(input).querySelector(".errorlist");
    if (errors) {
      var copy = errors.cloneNode(true);
      copy.setAttribute("data-region-picker-copy", "");
      select.parentNode.appendChild(copy);
    }
  };

  RegionPicker.prototype.hideCodeInputs = function (hidden) {
    this.wrapperOf(this.districtInput).hidden = hidden;
    this.wrapperOf(this.streetInput).hidden = hidden;
  };

  RegionPicker.prototype.showStatus = function (message, isError) {
    this.status.textContent = message;
    this.status.hidden = !message;
    this.status.classList.toggle("is-error", Boolean(isError));
  };

  // The API failed: give the plain inputs back, keeping whatever they hold.
  RegionPicker.prototype.fallBack = function () {
    if (this.box && this.box.parentNode) {
      this.box.parentNode.removeChild(this.box);
    }
    this.hideCodeInputs(false);
    this.showStatus(this.text.failed, true);
  };

  RegionPicker.prototype.reset = function (level) {
    var select = this.selects[level];
    select.innerHTML = "";
    select.disabled = true;
  };

  // Fill one select from `url` and select `wanted` if present; resolve to the number of options.
  RegionPicker.prototype.fill = function (level, url, wanted) {
    var self = this;
    var select = this.selects[level];
    var token = {};
    this.requests[level] = token;
    select.innerHTML = "";
    select.appendChild(new Option(this.text.loading, ""));
    select.disabled = true;
    return getAll(url).then(function (regions) {
      if (self.requests[level] !== token) {
        return 0; // a newer choice replaced this request
      }
      select.innerHTML = "";
      select.appendChild(new Option(self.text.choose, ""));
      regions.forEach(function (region) {
        var option = new Option(region.name, region.code);
        if (region.code === wanted) {
          option.selected = true;
        }
        select.appendChild(option);
      });
      select.disabled = regions.length === 0;
      return regions.length;
    });
  };

  RegionPicker.prototype.loadChildren = function (level, parentCode, wanted, wantedStreet) {
    var self = this;
    var next = LEVELS[LEVELS.indexOf(level) + 1];
    LEVELS.slice(LEVELS.indexOf(next)).forEach(function (lower) {
      self.reset(lower);
    });
    if (!parentCode) {
      return Promise.resolve(0);
    }
    return this.fill(next, this.listUrl({ parent: parentCode, level: next }), wanted).then(
      function (count) {
        if (next === "district" && count === 0) {
          // A city without districts (东莞 441900, 中山 442000, …) is itself the
          // county-level unit: its streets hang directly under it.
          self.districtInput.value = parentCode;
          self.showStatus(self.text["no-district"], false);
          return self.fill(
            "street",
            self.listUrl({ parent: parentCode, level: "street" }),
            wantedStreet || ""
          );
        }
        return count;
      }
    );
  };

  RegionPicker.prototype.changed = function (level) {
    var self = this;
    var code = this.selects[level].value;
    this.showStatus("", false);
    if (level === "street") {
      this.streetInput.value = code;
      return;
    }
    // A new choice higher up invalidates everything below it.
    this.streetInput.value = "";
    this.districtInput.value = level === "district" ? code : "";
    this.loadChildren(level, code, "").catch(function () {
      self.fallBack();
    });
  };

  // Find the province and city of an already entered district code.
  RegionPicker.prototype.ancestors = function (districtCode) {
    var self = this;
    if (!/^[0-9]{6}$/.test(districtCode)) {
      return Promise.resolve({});
    }
    return getJSON(this.api + districtCode + "/")
      .then(function (district) {
        if (district.level === "city") {
          // A city without districts stands in for the district.
          return { province: district.parent, city: district.code, district: "" };
        }
        if (district.level !== "district" || !district.parent) {
          return {};
        }
        return getJSON(self.api + district.parent + "/").then(function (city) {
          return { province: city.parent, city: city.code, district: district.code };
        });
      })
      .catch(function () {
        return {}; // an unknown code: start from the provinces
      });
  };

  RegionPicker.prototype.start = function () {
    var self = this;
    this.build();
    var streetCode = this.streetInput.value.trim();
    return this.ancestors(this.districtInput.value.trim())
      .then(function (known) {
        return self
          .fill("province", self.listUrl({ level: "province" }), known.province)
          .then(function () {
            return known.province && self.loadChildren("province", known.province, known.city);
          })
          .then(function () {
            return known.city && self.loadChildren("city", known.city, known.district, streetCode);
          })
          .then(function () {
            return known.district && self.loadChildren("district", known.district, streetCode);
          });
      })
      .catch(function () {
        self.fallBack();
      });
  };

  function init() {
    if (!window.fetch || !window.URLSearchParams || !Element.prototype.closest) {
      return; // very old browser: keep the plain inputs
    }
    var containers = document.querySelectorAll("[data-region-picker]");
    for (var i = 0; i < containers.length; i++) {
      var picker = new RegionPicker(containers[i]);
      if (picker.api && picker.districtInput && picker.streetInput) {
        picker.start();
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
